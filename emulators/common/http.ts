import type { AddressInfo, Server } from 'node:net';
import type { z } from 'zod';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Control, FaultDecision } from './control.js';
import { faultRuleSchema, rateLimitSchema } from './control.js';

export type Method = 'get' | 'post' | 'put' | 'delete';
export type Handler = (req: Request, res: Response) => unknown;
/** Writes an error in the emulated service's own shape. */
export type ErrorWriter = (res: Response, status: number, message: string, type?: string) => void;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type?: string,
  ) {
    super(message);
  }
}

/**
 * `retry-after` in whole seconds (RFC 9110 §10.2.3) and `retry-after-ms`, which the Anthropic SDK
 * reads first (src/client.ts `retryRequest`), on an answer that asks the client to wait.
 */
export function setRetryAfter(res: Response, retryAfterMs: number | undefined): void {
  if (retryAfterMs === undefined) return;
  res.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  res.setHeader('retry-after-ms', String(retryAfterMs));
}

/** What a route needs besides its handler: who is calling (for the per-key rate limit). */
export interface RouteOptions {
  /** The caller's API key or client id; undefined exempts the call from the rate limit. */
  keyOf?: (req: Request) => string | undefined;
  /** Fills in what an injected fault leaves open, e.g. the service's default `retry-after` on a 429. */
  faultDefaults?: (fault: FaultDecision) => FaultDecision;
  /** The tool an MCP `tools/call` names (for faults placed by tool). */
  toolOf?: (req: Request) => string | undefined;
}

/**
 * Registers a route that is counted, delayed, rate-limited and fault-injected under the key
 * `METHOD path`, and whose thrown `HttpError`s are written in the service's own error shape.
 */
export function route(
  app: Express,
  control: Control,
  writeError: ErrorWriter,
  method: Method,
  path: string,
  handler: Handler,
  options: RouteOptions = {},
): void {
  const key = `${method.toUpperCase()} ${path}`;
  app[method](path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const entered = await control.enter(key, options.keyOf?.(req), req.get('user-agent'), options.toolOf?.(req));
      const fault = options.faultDefaults?.(entered) ?? entered;
      if (fault.status !== undefined) {
        if (fault.afterWork) await performUnanswered(handler, req, res);
        setRetryAfter(res, fault.retryAfterMs);
        const what = fault.status === 429 && !entered.errorCode ? 'rate limit exceeded' : 'injected fault';
        writeError(res, fault.status, `${what} on ${key}`, fault.errorCode);
        return;
      }
      res.locals.fault = fault;
      await handler(req, res);
    } catch (err) {
      if (err instanceof HttpError) writeError(res, err.status, err.message, err.type);
      else next(err);
    }
  });
}

/**
 * Runs a handler for its effect, throwing its answer away (the `afterWork` fault). Handlers answer
 * with `res.json`, and the MCP SDK's transport with `writeHead`/`end`: all of them are muted.
 */
async function performUnanswered(handler: Handler, req: Request, res: Response): Promise<void> {
  const muted = ['json', 'writeHead', 'write', 'end'] as const;
  const saved = muted.map((name) => [name, res[name]] as const);
  for (const name of muted) (res as unknown as Record<string, unknown>)[name] = () => res;
  try {
    await handler(req, res);
  } finally {
    for (const [name, fn] of saved) (res as unknown as Record<string, unknown>)[name] = fn;
  }
}

/** A control-plane command: a JSON body checked by `schema`, then applied; 400 with zod's account, else 204. */
export function controlCommand<S extends z.ZodType>(
  app: Express,
  method: 'post' | 'put',
  path: string,
  schema: S,
  apply: (body: z.output<S>) => void,
): void {
  app[method](path, express.json(), (req, res) => {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.message });
      return;
    }
    apply(parsed.data);
    res.status(204).end();
  });
}

/** `/_emulator/{faults,rate-limit,counters,reset}`: the control plane that tests and benchmarks drive over HTTP. */
export function mountControlRoutes(app: Express, control: Control, onReset: () => void): void {
  controlCommand(app, 'post', '/_emulator/faults', faultRuleSchema, (rule) => control.inject(rule));
  controlCommand(app, 'put', '/_emulator/rate-limit', rateLimitSchema, (limit) => control.rateLimit(limit));
  app.delete('/_emulator/rate-limit', (_req, res) => {
    control.rateLimit(undefined);
    res.status(204).end();
  });
  app.delete('/_emulator/faults', (_req, res) => {
    control.clearFaults();
    res.status(204).end();
  });
  app.get('/_emulator/counters', (_req, res) => {
    res.json(control.snapshot());
  });
  app.post('/_emulator/reset', (_req, res) => {
    control.reset();
    onReset();
    res.status(204).end();
  });
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on loopback (port 0 = any free port) and closes every open connection on `close()`. */
export async function listen(
  server: Server & { closeAllConnections?: () => void },
  port = 0,
  host = '127.0.0.1',
): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
