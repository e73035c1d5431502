import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ConnectError, type Interceptor, type ServiceImpl } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  AuthorizationDetailsSchema,
  ConnectedAccountForListSchema,
  ConnectedAccountSchema,
  ConnectedAccountService,
  ConnectorStatus,
  ConnectorType,
  OauthTokenSchema,
  type AuthorizationDetails,
} from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js';
import { ErrorInfoSchema } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/errdetails/errdetails_pb.js';
import { HttpError } from '../common/http.js';
import type { Context } from './context.js';
import { defaultErrorCode, grpcCode } from './errors.js';
import { doneUrl, issueMagicLink, magicLinkUrl } from './magic-links.js';
import { clientKey, requireApiToken } from './oauth.js';
import { CONNECTIONS, connectionNamed, type Account } from './state.js';

const MAX_PAGE_SIZE = 100;

/** Where an account is named either by id or by connector + identifier. */
interface AccountRef {
  id?: string;
  connector?: string;
  identifier?: string;
}

/**
 * `ConnectedAccountService` over gRPC (HTTP/2, binary protobuf), the wire the Node SDK 2.11 speaks,
 * served from the descriptors the SDK itself ships so both ends agree on every field number.
 */
export function grpcHandler(ctx: Context): ReturnType<typeof connectNodeAdapter> {
  return connectNodeAdapter({
    interceptors: [controlInterceptor(ctx)],
    routes: (router) => router.service(ConnectedAccountService, connectedAccountService(ctx)),
  });
}

/** Counts and fault-injects like `route()` does for HTTP, then demands the API token (the SDK refreshes on 16). */
function controlInterceptor(ctx: Context): Interceptor {
  return (next) => async (req) => {
    const key = `grpc ${req.method.name}`;
    const fault = await ctx.control.enter(key, clientKey(ctx, req.header.get('authorization')));
    try {
      if (fault.status !== undefined) throw new HttpError(fault.status, `injected fault on ${key}`, fault.errorCode);
      requireApiToken(ctx, req.header.get('authorization'));
      return await next(req);
    } catch (err) {
      throw err instanceof HttpError ? toConnectError(err) : err;
    }
  };
}

function toConnectError(err: HttpError): ConnectError {
  const errorCode = err.type ?? defaultErrorCode(err.status);
  return new ConnectError(err.message, grpcCode(err.status, errorCode), undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { errorCode }) },
  ]);
}

function connectedAccountService(ctx: Context): Partial<ServiceImpl<typeof ConnectedAccountService>> {
  const { state } = ctx;
  const find = (ref: AccountRef): Account => {
    const account = ref.id
      ? state.accountById(ref.id)
      : state.account(required(ref.identifier, 'identifier'), connection(ref));
    if (!account) throw new HttpError(404, 'connected account not found', 'NOT_FOUND');
    return account;
  };
  const full = (account: Account) => ({ connectedAccount: accountMessage(account, true) });

  return {
    listConnectedAccounts(req) {
      maxLength(req.identifier, 'identifier', 100);
      const names = req.connectionNames.length > 0 ? req.connectionNames : req.connector ? [req.connector] : undefined;
      const matches = state
        .allAccounts()
        .filter(
          (a) =>
            (names === undefined || names.includes(a.connection)) &&
            (!req.identifier || a.identifier === req.identifier) &&
            (!req.provider || CONNECTIONS[a.connection].provider.toLowerCase() === req.provider.toLowerCase()) &&
            (!req.query || a.identifier.toLowerCase().includes(req.query.toLowerCase())),
        );
      const size = Math.min(req.pageSize || MAX_PAGE_SIZE, MAX_PAGE_SIZE);
      const offset = Number(req.pageToken) || 0;
      return {
        connectedAccounts: matches.slice(offset, offset + size).map(listMessage),
        totalSize: matches.length,
        nextPageToken: offset + size < matches.length ? String(offset + size) : '',
        prevPageToken: offset > 0 ? String(Math.max(0, offset - size)) : '',
      };
    },
    getConnectedAccountAuth: (req) => full(find(req)),
    getConnectedAccountDetails: (req) => ({ connectedAccount: accountMessage(find(req), false) }),
    getConnectedAccount: (req) => full(find({ id: req.id })),
    createConnectedAccount(req) {
      const identifier = required(req.identifier, 'identifier');
      const status = hasCredentials(req.connectedAccount?.authorizationDetails) ? 'ACTIVE' : 'PENDING_AUTH';
      return full(state.createAccount(identifier, connection(req), status));
    },
    updateConnectedAccount(req) {
      const account = find(req);
      if (hasCredentials(req.connectedAccount?.authorizationDetails)) {
        state.setStatus(account.identifier, account.connection, 'ACTIVE');
      }
      return full(account);
    },
    deleteConnectedAccount(req) {
      state.deleteAccount(find(req));
      return {};
    },
    disconnectConnectedAccount(req) {
      const account = find({ id: req.id });
      return full(state.setStatus(account.identifier, account.connection, 'DISCONNECTED'));
    },
    getMagicLinkForConnectedAccount(req) {
      maxLength(req.identifier, 'identifier', 100);
      maxLength(req.state, 'state', 512);
      const existing = req.id ? find(req) : undefined;
      const { link } = issueMagicLink(ctx, {
        identifier: existing?.identifier ?? required(req.identifier, 'identifier'),
        connection: existing?.connection ?? connection(req),
        state: req.state || undefined,
        userVerifyUrl: req.userVerifyUrl || undefined,
      });
      return { link: magicLinkUrl(ctx, link), expiry: timestampFromMs(link.expiresAt.getTime()) };
    },
    verifyConnectedAccountUser(req) {
      maxLength(req.identifier, 'identifier', 200);
      const request = state.authRequests.get(req.authRequestId);
      if (!request || request.consumed) throw new HttpError(404, 'auth request not found or already used', 'NOT_FOUND');
      if (request.identifier !== req.identifier) {
        throw new HttpError(403, 'identifier does not match the auth request', 'IDENTIFIER_MISMATCH');
      }
      request.consumed = true;
      state.setStatus(request.identifier, request.connection, 'ACTIVE');
      return { postUserVerifyRedirectUrl: doneUrl(ctx, request.linkId) };
    },
  };
}

function required(value: string | undefined, field: string): string {
  if (!value) throw new HttpError(400, `${field} is required`, 'INVALID_ARGUMENT');
  return value;
}

/**
 * The request messages' `buf.validate` max_len rules, decoded from the descriptors `@scalekit-sdk/node`
 * 2.11 ships (identifier 100 on link and list, 200 on verify; state 512). That the server enforces them
 * with INVALID_ARGUMENT is an assumption: Scalekit documents server-side validation for other fields only.
 */
function maxLength(value: string | undefined, field: string, max: number): void {
  if (value !== undefined && value.length > max) {
    throw new HttpError(
      400,
      `[invalid_argument] Validation error: ${field} must be at most ${max} characters`,
      'INVALID_ARGUMENT',
    );
  }
}

const connection = (ref: AccountRef) => connectionNamed(required(ref.connector, 'connector'));

function hasCredentials(details: AuthorizationDetails | undefined): boolean {
  switch (details?.details.case) {
    case 'oauthToken':
      return details.details.value.accessToken !== '' || details.details.value.refreshToken !== '';
    case undefined:
      return false;
    default:
      return true;
  }
}

function accountFields(account: Account) {
  return {
    id: account.id,
    identifier: account.identifier,
    provider: CONNECTIONS[account.connection].provider,
    connector: account.connection,
    connectionId: CONNECTIONS[account.connection].id,
    status: ConnectorStatus[account.status],
    authorizationType: ConnectorType.OAUTH,
    updatedAt: timestampFromMs(account.updatedAt.getTime()),
  };
}

const listMessage = (account: Account) => create(ConnectedAccountForListSchema, accountFields(account));

/** The full account; its credentials are placeholders since no provider sits behind the emulator. */
function accountMessage(account: Account, withCredentials: boolean) {
  const accessToken = account.status === 'ACTIVE' ? `emulated-${account.id}` : '';
  return create(ConnectedAccountSchema, {
    ...accountFields(account),
    authorizationDetails: withCredentials
      ? create(AuthorizationDetailsSchema, {
          details: { case: 'oauthToken', value: create(OauthTokenSchema, { accessToken }) },
        })
      : undefined,
  });
}
