import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ScalekitApiError } from '../activities/apis/scalekit.js';
import type { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { ConsentStateError, type ConsentBinding, type ConsentStateCodec } from '../consent/state.js';
import { resumeAfterConsent } from '../consent/schedules.js';
import { InvalidInputError, type InboxAgentClient } from '../client/index.js';
import type { ApprovalLinks } from '../consent/approval-links.js';
import { createApprovalHandler, type ApprovalOutcome } from './approval.js';
import { page, refuse } from './pages.js';

export interface CallbackDeps {
  state: ConsentStateCodec;
  accounts: Pick<ScalekitConnectedAccounts, 'verifyUser' | 'isActive'>;
  inbox: InboxAgentClient;
  /** Approve/deny links of proposed events (approval mode ask), signed with the same key. */
  approvals?: ApprovalLinks;
  log?: (line: string) => void;
}

/** What happened on one redirect; the tests and the log read it. */
export type CallbackOutcome =
  | { result: 'verified' | 'already_verified'; identifier: string; connection: string; signalled: string[] }
  | { result: 'rejected'; status: number; reason: string }
  | ApprovalOutcome;

/**
 * The consent callback: Scalekit's `user_verify_url`. After the user consents at the provider,
 * Scalekit sends the browser to `/verify/<identifier>?auth_request_id=…&state=…`. The user and
 * connection come only from our signed `state`, which must name the same user as the path; then
 * Scalekit is asked to verify that user, and that user's waiting sweeps are signalled. A second
 * visit finds the request used but the account active, and shows the same confirmation.
 */
export function createCallbackHandler(deps: CallbackDeps) {
  const log = deps.log ?? ((line: string) => console.log(line));
  const approval = deps.approvals && createApprovalHandler({ links: deps.approvals, inbox: deps.inbox, log });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<CallbackOutcome | undefined> {
    const url = new URL(req.url ?? '/', 'http://callback.invalid');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return undefined;
    }
    const approvalPath = /^\/approval\/([^/]+)$/.exec(url.pathname);
    if (approvalPath && approval) return approval(req, res, url, safeDecode(approvalPath[1]!));
    const match = /^\/verify\/([^/]+)$/.exec(url.pathname);
    if (!match) return reject(res, 404, 'Not found', ['There is nothing here.']);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reject(res, 405, 'Method not allowed', ['Open the link in a browser.']);

    const authRequestId = url.searchParams.get('auth_request_id');
    const state = url.searchParams.get('state');
    if (!authRequestId || !state) {
      return reject(res, 400, 'Incomplete link', [
        'This address is where Scalekit sends you back after you allow access; it lacks the details it adds.',
        'Open the authorization link you were sent again.',
      ]);
    }
    let binding: ConsentBinding;
    try {
      binding = await deps.state.verify(state);
    } catch (err) {
      if (!(err instanceof ConsentStateError)) throw err;
      return reject(res, err.status, err.reason === 'expired' ? 'This link has expired' : 'This link is not valid', [
        `${err.message[0]!.toUpperCase()}${err.message.slice(1)}.`,
        'Nothing was changed. Ask for a fresh authorization link (the reminder you get carries one).',
      ]);
    }
    if (safeDecode(match[1]!) !== binding.identifier) {
      return reject(res, 403, 'This link belongs to someone else', [
        'The authorization was started for another account. Nothing was changed.',
      ]);
    }

    const { identifier, connection } = binding;
    let result: 'verified' | 'already_verified' = 'verified';
    try {
      await deps.accounts.verifyUser(authRequestId, identifier);
    } catch (err) {
      if (!(err instanceof ScalekitApiError)) throw err;
      // A used or unknown request: the same redirect opened twice finds the account already active.
      if (err.status === 404 && (await deps.accounts.isActive(identifier, connection))) {
        result = 'already_verified';
      } else if (err.status === 403 || err.status === 404 || err.status === 400) {
        log(`consent callback: Scalekit refused verification for ${identifier}/${connection}: ${err.status}`);
        return reject(res, err.status === 403 ? 403 : 410, 'Authorization not confirmed', [
          `We could not confirm ${connection} for this account (Scalekit answered ${err.status}).`,
          'Nothing was changed. Ask for a fresh authorization link and try again.',
        ]);
      } else {
        log(`consent callback: verification for ${identifier}/${connection} failed: ${err.message}`);
        return reject(res, 502, 'Please try again', [
          'We could not reach the authorization service. Reload this page in a moment.',
        ]);
      }
    }

    const signalled = await resume(binding);
    page(res, 200, `${connection} is connected`, [
      result === 'verified'
        ? `Thank you: ${connection} is connected again.`
        : `${connection} was already connected; nothing else to do.`,
      'Your inbox assistant picks up where it stopped. You can close this page.',
    ]);
    log(`consent callback: ${identifier}/${connection} ${result}; signalled ${signalled.join(', ') || 'no sweep'}`);
    return { result, identifier, connection, signalled };
  }

  /**
   * Wakes the user's waiting sweeps (the one the link was made for, and any other running one). With
   * none left waiting (it gave up), the schedule it paused is unpaused: consent is back. A Temporal
   * outage is logged, not shown: the sweep's periodic re-check notices the consent anyway.
   */
  async function resume({ identifier, connection, workflowId }: ConsentBinding): Promise<string[]> {
    const note = `${connection} consent verified by the consent callback`;
    const signalled: string[] = [];
    try {
      const ids = new Set(await deps.inbox.runningSweeps(identifier));
      if (workflowId) ids.add(workflowId);
      for (const id of ids) {
        try {
          await deps.inbox.reauthorized(identifier, { workflowId: id, note });
          signalled.push(id);
        } catch (err) {
          // Finished meanwhile, or gone from retention.
          if (!(err instanceof WorkflowNotFoundError || err instanceof InvalidInputError)) throw err;
        }
      }
      if (signalled.length === 0) {
        await resumeAfterConsent(deps.inbox.client.schedule, identifier, `${note} at ${new Date().toISOString()}`);
      }
    } catch (err) {
      log(`consent callback: could not resume ${identifier}'s sweeps: ${(err as Error).message}`);
    }
    return signalled;
  }

  const reject = refuse;

  return handle;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** node:http is enough for two GET routes; no framework to keep in step with. */
export function createCallbackServer(deps: CallbackDeps, onOutcome?: (outcome: CallbackOutcome) => void): Server {
  const handle = createCallbackHandler(deps);
  return createServer((req, res) => {
    handle(req, res).then(
      (outcome) => outcome && onOutcome?.(outcome),
      (err: unknown) => {
        (deps.log ?? console.error)(`consent callback: ${(err as Error).message}`);
        if (!res.headersSent) page(res, 500, 'Something went wrong', ['Please reload this page in a moment.']);
        else res.end();
      },
    );
  });
}
