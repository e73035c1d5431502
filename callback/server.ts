import { WorkflowNotFoundError } from '@temporalio/client';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { UserStateStore } from '../activities/user-state.js';
import { InvalidInputError, type InboxAgentClient } from '../client/index.js';
import { ScalekitApiError } from '../activities/apis/scalekit.js';
import type { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { resumeAfterConsent } from '../consent/schedules.js';
import { ConsentStateError, type ConsentStateCodec, type VerifiedConsentState } from '../consent/state.js';
import { isValidIdentifier } from '../workflows/contract.js';
import type { ApprovalLinks } from '../consent/approval-links.js';
import { createApprovalHandler, type ApprovalOutcome } from './approval.js';
import { identityHealth, type IdentitySource } from './identity.js';
import { page, refuse as reject } from './pages.js';

export interface CallbackDeps {
  state: ConsentStateCodec;
  accounts: Pick<ScalekitConnectedAccounts, 'verifyUser' | 'isActive'>;
  inbox: InboxAgentClient;
  /** Where spent states are recorded (the workers' shared state store). */
  store: Pick<UserStateStore, 'spendConsentState'>;
  /** Approve/deny links of proposed events (approval mode ask), signed with the same key. */
  approvals?: ApprovalLinks;
  /** Who is signed in: OIDC, a trusted proxy header, or the integrator's own session. */
  identity: IdentitySource;
  /** Verify attempts per user per minute (default 10): a flood of redirects cannot flood Scalekit. */
  attemptsPerMinute?: number;
  log?: (line: string) => void;
  onOutcome?: (outcome: CallbackOutcome) => void;
}

/** What happened on one redirect; the tests and the log read it. */
export type CallbackOutcome =
  | { result: 'verified' | 'already_verified'; identifier: string; connection: string; signalled: string[] }
  | { result: 'rejected'; status: number; reason: string }
  | ApprovalOutcome;

/**
 * The consent callback as an Express router: Scalekit's `user_verify_url` is `<mount>/verify`. After
 * the user consents at the provider, Scalekit sends the browser to `/verify?auth_request_id=…&state=…`.
 * Scalekit's guide (agentkit/user-verification) is followed to the letter: the user is whoever is
 * signed in to the app (`identity`), never anyone the link names; `state` only correlates. So:
 * the state must be ours and fresh; the signed-in user must be the user the flow is for (else 403,
 * nothing called); the state is spent (a replay gets a page, no Scalekit call, no signal); then
 * Scalekit verifies that user and their waiting sweeps are signalled.
 */
export function createConsentRouter(deps: CallbackDeps): Router {
  const log = deps.log ?? ((line: string) => console.log(line));
  // In memory, per process: a bound on what one user's redirects can cost, not an accounting.
  const limiter = new RateLimiterMemory({ points: deps.attemptsPerMinute ?? 10, duration: 60 });
  const router = express.Router();
  router.use(cookieParser());
  if (deps.identity.routes) router.use(deps.identity.routes);

  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  // For `doctor`: which identity source the callback uses, and whether it can sign anyone in now.
  router.get('/healthz/identity', async (_req, res, next) => {
    try {
      const health = await identityHealth(deps.identity);
      res.status(health.ok ? 200 : 503).json(health);
    } catch (err) {
      next(err);
    }
  });

  const approval = deps.approvals && createApprovalHandler({ links: deps.approvals, inbox: deps.inbox, log });
  if (approval) {
    router.all('/approval/:identifier', async (req, res, next) => {
      try {
        const url = new URL(req.originalUrl, 'http://callback.invalid');
        deps.onOutcome?.(await approval(req, res, url, String(req.params.identifier)));
      } catch (err) {
        next(err);
      }
    });
  }

  router.get('/verify/login-expired', (_req, res) => {
    reject(res, 400, 'Sign-in took too long', [
      'Your sign-in could not be matched to the link you opened. Nothing was changed.',
      'Open the authorization link you were sent again.',
    ]);
  });

  router.get('/verify', async (req, res, next) => {
    try {
      const outcome = await verify(req, res);
      if (outcome) deps.onOutcome?.(outcome);
    } catch (err) {
      next(err);
    }
  });

  router.use((_req, res) => {
    reject(res, 404, 'Not found', ['There is nothing here.']);
  });
  router.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    log(`consent callback: ${err.message}`);
    if (!res.headersSent) page(res, 500, 'Something went wrong', ['Please reload this page in a moment.']);
    else res.end();
  });

  async function verify(req: Request, res: Response): Promise<CallbackOutcome | undefined> {
    const authRequestId = typeof req.query.auth_request_id === 'string' ? req.query.auth_request_id : '';
    const stateParam = typeof req.query.state === 'string' ? req.query.state : '';
    if (!authRequestId || !stateParam) {
      return reject(res, 400, 'Incomplete link', [
        'This address is where Scalekit sends you back after you allow access; it lacks the details it adds.',
        'Open the authorization link you were sent again.',
      ]);
    }
    let state: VerifiedConsentState;
    try {
      state = await deps.state.verify(stateParam);
    } catch (err) {
      if (!(err instanceof ConsentStateError)) throw err;
      return reject(res, err.status, err.reason === 'expired' ? 'This link has expired' : 'This link is not valid', [
        `${err.message[0]!.toUpperCase()}${err.message.slice(1)}.`,
        'Nothing was changed. Ask for a fresh authorization link (the reminder you get carries one).',
      ]);
    }
    const { identifier, connection } = state;

    try {
      await limiter.consume(identifier);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const seconds = Math.ceil(err.msBeforeNext / 1000);
      return reject(res, 429, 'Too many attempts', [`Please wait ${seconds} seconds and reload this page.`], {
        'retry-after': String(seconds),
      });
    }

    const signedIn = await deps.identity.identify(req);
    if (signedIn === undefined) {
      if (deps.identity.login) {
        // Back to this very URL once signed in; the state is not spent until then.
        await deps.identity.login(req, res, req.originalUrl);
        return { result: 'rejected', status: 303, reason: 'Sign-in needed' };
      }
      return reject(res, 401, 'Please sign in first', [
        `Sign in to the app as the account that asked to connect ${connection}, then open this page again.`,
        'Nothing was changed.',
      ]);
    }
    if (!isValidIdentifier(signedIn) || signedIn !== identifier) {
      return reject(res, 403, 'Signed in as another account', [
        `This authorization was started for another account than the one you are signed in as. Nothing was changed.`,
        'If this link was forwarded to you, ask its owner to open it themselves.',
      ]);
    }

    if (!(await deps.store.spendConsentState(state.id, state.expiresAt))) {
      return reject(res, 409, 'This link was already used', [
        `This confirmation for ${connection} was already handled; opening it again changes nothing.`,
        'If you are not connected yet, ask for a fresh authorization link.',
      ]);
    }

    let result: 'verified' | 'already_verified' = 'verified';
    try {
      await deps.accounts.verifyUser(authRequestId, signedIn);
    } catch (err) {
      if (!(err instanceof ScalekitApiError)) throw err;
      if (err.status === 404 && (await deps.accounts.isActive(signedIn, connection))) {
        result = 'already_verified';
      } else if (err.status === 403 || err.status === 404 || err.status === 400) {
        log(`consent callback: Scalekit refused verification for ${signedIn}/${connection}: ${err.status}`);
        return reject(res, err.status === 403 ? 403 : 410, 'Authorization not confirmed', [
          `We could not confirm ${connection} for this account (Scalekit answered ${err.status}).`,
          'Nothing was changed. Ask for a fresh authorization link and try again.',
        ]);
      } else {
        log(`consent callback: verification for ${signedIn}/${connection} failed: ${err.message}`);
        return reject(res, 502, 'Please try again', [
          'We could not reach the authorization service. Ask for a fresh authorization link in a moment.',
        ]);
      }
    }

    const signalled = await resume(signedIn, connection);
    page(res, 200, `${connection} is connected`, [
      result === 'verified'
        ? `Thank you: ${connection} is connected again.`
        : `${connection} was already connected; nothing else to do.`,
      'Your inbox assistant picks up where it stopped. You can close this page.',
    ]);
    log(`consent callback: ${signedIn}/${connection} ${result}; signalled ${signalled.join(', ') || 'no sweep'}`);
    return { result, identifier: signedIn, connection, signalled };
  }

  /**
   * Wakes the user's waiting sweeps. With none left waiting (it gave up), the schedule it paused is
   * unpaused: consent is back. A Temporal outage is logged, not shown: the sweep's periodic re-check
   * and the schedule reconciler notice the consent anyway.
   */
  async function resume(identifier: string, connection: string): Promise<string[]> {
    const note = `${connection} consent verified by the consent callback`;
    const signalled: string[] = [];
    try {
      for (const id of await deps.inbox.runningSweeps(identifier)) {
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

  return router;
}
