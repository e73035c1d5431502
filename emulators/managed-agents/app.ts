import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Control, FaultDecision } from '../common/control.js';
import { agentBehaviourSchema } from './behaviour.js';
import { controlCommand, mountControlRoutes, route } from '../common/http.js';
import { writeAnthropicError } from './errors.js';
import { newId } from './ids.js';
import type { RouteContext } from './routes/context.js';
import { registerAgentRoutes } from './routes/agents.js';
import { registerCredentialRoutes } from './routes/credentials.js';
import { registerEnvironmentRoutes } from './routes/environments.js';
import { registerEventRoutes } from './routes/events.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerStreamRoute } from './routes/stream.js';
import { registerVaultRoutes } from './routes/vaults.js';
import type { RunnerDeps } from './session-runner.js';
import { sessionErrorRuleSchema } from './session-faults.js';
import { settingsSchema, type Settings } from './settings.js';
import { agentStates, sessionStates, vaultStates } from './state.js';
import type { Store } from './store.js';

const MANAGED_AGENTS_BETA = 'managed-agents-2026-04-01';

export interface AppOptions {
  apiKey: string;
  heartbeatMs: number;
  control: Control;
  store: Store;
  runnerDeps: RunnerDeps;
  settings: Settings;
  setStepDelay(ms: number): void;
  onReset(): void;
}

/** The SDK sends `authorization: Bearer`; the docs' curl examples send `x-api-key`. Both work, as upstream. */
function apiKeyOf(req: Request): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
  return bearer ?? req.get('x-api-key');
}

function guard(apiKey: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = apiKeyOf(req);
    if (key !== apiKey) {
      writeAnthropicError(res, 401, key === undefined ? 'missing API key' : 'invalid x-api-key');
      return;
    }
    const betas = (req.get('anthropic-beta') ?? '').split(',').map((b) => b.trim());
    if (!betas.includes(MANAGED_AGENTS_BETA)) {
      writeAnthropicError(
        res,
        400,
        `missing beta: ${MANAGED_AGENTS_BETA}. This endpoint is in beta; send 'anthropic-beta: ${MANAGED_AGENTS_BETA}'`,
      );
      return;
    }
    next();
  };
}

export function createApp(options: AppOptions): Express {
  const { control, store } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('request-id', newId('req'));
    next();
  });

  mountControlRoutes(app, control, options.onReset);
  app.get('/_emulator/state', (_req, res) => {
    res.json({ agents: agentStates(store), vaults: vaultStates(store, false), sessions: sessionStates(store) });
  });
  controlCommand(app, 'put', '/_emulator/step-delay', z.object({ ms: z.number().int().min(0) }), ({ ms }) =>
    options.setStepDelay(ms),
  );
  controlCommand(app, 'put', '/_emulator/settings', settingsSchema.partial(), (changes) =>
    Object.assign(options.settings, changes),
  );
  controlCommand(app, 'post', '/_emulator/agent', agentBehaviourSchema.partial(), (changes) =>
    Object.assign(options.runnerDeps.behaviour, changes),
  );
  controlCommand(app, 'post', '/_emulator/session-errors', sessionErrorRuleSchema, (rule) =>
    options.runnerDeps.faults.inject(rule),
  );
  app.delete('/_emulator/session-errors', (_req, res) => {
    options.runnerDeps.faults.clear();
    res.status(204).end();
  });

  app.use('/v1', guard(options.apiKey), express.json({ limit: '32mb' }));
  const routeOptions = {
    // The API's rate limits are per API key (docs.anthropic.com "Rate limits").
    keyOf: apiKeyOf,
    // A 429 tells the SDK how long to wait (src/client.ts reads retry-after-ms, then retry-after).
    faultDefaults: (fault: FaultDecision): FaultDecision =>
      fault.status === 429 && fault.retryAfterMs === undefined ? { ...fault, retryAfterMs: 1000 } : fault,
  };
  const context: RouteContext = {
    on: (method, path, handler) => route(app, control, writeAnthropicError, method, path, handler, routeOptions),
    store,
    runnerDeps: options.runnerDeps,
    heartbeatMs: options.heartbeatMs,
    settings: options.settings,
  };
  registerAgentRoutes(context);
  registerEnvironmentRoutes(context);
  registerVaultRoutes(context);
  registerCredentialRoutes(context);
  registerSessionRoutes(context);
  registerEventRoutes(context);
  registerStreamRoute(context);

  app.use((req, res) => writeAnthropicError(res, 404, `no route for ${req.method} ${req.path}`));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    // body-parser failures (malformed JSON, oversized body) carry their own 4xx status.
    if (status !== undefined && status >= 400 && status < 500)
      writeAnthropicError(res, status, String((err as Error).message));
    else writeAnthropicError(res, 500, `internal emulator error: ${String(err)}`);
  });
  return app;
}
