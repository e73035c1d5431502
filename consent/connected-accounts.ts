import { ScalekitClient, ScalekitServerException } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js';
import { ScalekitApiError, type ScalekitApiOptions } from '../activities/apis/scalekit.js';

/** A link where the user consents, and when Scalekit stops honouring it (about a minute after it was made). */
export interface AuthorizationLink {
  url: string;
  expiresAt?: string;
}

/**
 * The connected-account calls of the user-verification flow, through `@scalekit-sdk/node` 2.11 (gRPC).
 * The SDK has no retry switch: it retries a gRPC UNAVAILABLE up to 3 times itself, under Temporal's
 * retries; every other error is thrown at once and converted to `ScalekitApiError`, so activities
 * classify SDK and REST failures alike.
 */
export class ScalekitConnectedAccounts {
  private readonly sdk: ScalekitClient;

  constructor(options: ScalekitApiOptions) {
    this.sdk = new ScalekitClient(options.envUrl, options.clientId, options.clientSecret);
  }

  /** A fresh link for one connection that sends the browser to `userVerifyUrl` with `state` after consent. */
  async authorizationLink(params: {
    identifier: string;
    connection: string;
    userVerifyUrl: string;
    state: string;
  }): Promise<AuthorizationLink> {
    const res = await sdkCall('GetMagicLinkForConnectedAccount', () =>
      this.sdk.actions.getAuthorizationLink({
        identifier: params.identifier,
        connectionName: params.connection,
        userVerifyUrl: params.userVerifyUrl,
        state: params.state,
      }),
    );
    // A protobuf Timestamp: seconds (bigint) and nanos.
    const expiresAt = res.expiry && new Date(Number(res.expiry.seconds) * 1000 + Math.floor(res.expiry.nanos / 1e6));
    return { url: res.link, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) };
  }

  /** Completes the flow for `identifier`; Scalekit refuses an auth request of another user (403) or a used one (404). */
  async verifyUser(authRequestId: string, identifier: string): Promise<void> {
    await sdkCall('VerifyConnectedAccountUser', () =>
      this.sdk.actions.verifyConnectedAccountUser({ authRequestId, identifier }),
    );
  }

  /** Whether the user's account on `connection` is ACTIVE (false when there is none). */
  async isActive(identifier: string, connection: string): Promise<boolean> {
    const res = await sdkCall('ListConnectedAccounts', () =>
      this.sdk.actions.listConnectedAccounts({ identifier, connectionName: connection }),
    );
    return res.connectedAccounts.some((a) => a.status === ConnectorStatus.ACTIVE);
  }
}

async function sdkCall<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ScalekitServerException) {
      throw new ScalekitApiError(
        err.httpStatus,
        `Scalekit ${method} answered ${err.httpStatus}: ${err.message}`,
        err.errorCode ?? undefined,
      );
    }
    throw err;
  }
}
