import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import express from 'express';
import { Control, type RateLimitInput } from '../common/control.js';
import { listen } from '../common/http.js';
import { mcpServerUrl, mountConfigRoutes } from './configs.js';
import type { Context, UserVerificationMode } from './context.js';
import { mountEmulatorControlRoutes } from './control-routes.js';
import { grpcHandler } from './grpc.js';
import { magicLinkUrl, mountMagicLinkRoutes } from './magic-links.js';
import { mountMcpRoutes } from './mcp.js';
import { mountOAuthRoutes } from './oauth.js';
import { DEFAULT_SAMPLES, type Samples } from './samples.js';
import { createMultiplexServer } from './server.js';
import {
  connectionNamed,
  ScalekitState,
  type AccountStatus,
  type CalendarEvent,
  type SeedEmail,
  type UsersSnapshot,
} from './state.js';
import { Tokens } from './tokens.js';

export type { AccountStatus, CalendarEvent, SeedEmail, UsersSnapshot } from './state.js';
export type { UserVerificationMode } from './context.js';
export type { Samples } from './samples.js';

export interface ScalekitEmulatorOptions {
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of magic links; default 1 minute, as the service documents (~1 min, scalekit-sdk-python mcp.py). */
  magicLinkTtlMs?: number;
  /** The emulator's clock (ms since epoch), for expiring tokens and links in tests; default `Date.now`. */
  now?: () => number;
  /**
   * A per-client token bucket; off unless given. Scalekit documents no numeric limits and no
   * `Retry-After` (shared/specs/scalekit-api.md §errors), so whether 429s carry one is `retryAfter`.
   */
  rateLimit?: RateLimitInput;
  /** Default `custom`, Scalekit's production mode: links without a `user_verify_url` fail at the exchange. */
  userVerification?: UserVerificationMode;
  /** Assumed answers to serve (samples.ts); `reset()` restores these. */
  samples?: Partial<Samples>;
}

export interface ScalekitEmulator {
  /** Env URL: SDK `envUrl` and REST base. */
  url: string;
  clientId: string;
  clientSecret: string;
  control: Control;
  /** The environment's user-verification mode; tests switch it. */
  userVerification: UserVerificationMode;
  /** Switches assumed answers on the running emulator (samples.ts). */
  configure(samples: Partial<Samples>): void;
  seedUser(
    identifier: string,
    seed: { connections?: Partial<Record<'gmail' | 'googlecalendar', AccountStatus>>; emails?: SeedEmail[] },
  ): void;
  setConnectionStatus(identifier: string, connection: string, status: AccountStatus): void;
  addEmail(identifier: string, email: SeedEmail): void;
  emails(identifier: string): Array<SeedEmail & { id: string; unread: boolean }>;
  calendarEvents(identifier: string): CalendarEvent[];
  configs(): Array<{ id: string; name: string; mcpServerUrl: string }>;
  /** The magic links made so far (newest last), so tests can "click" them over HTTP. */
  authLinks(identifier?: string): Array<{ url: string; connection: string; identifier: string; createdAt: Date }>;
  /** Every user's accounts, mail and calendar as JSON, and back: how `npm start` keeps them across restarts. */
  users(): UsersSnapshot;
  restoreUsers(snapshot: UsersSnapshot): void;
  /** Forgets one user's accounts, mail and calendar (before seeding that user afresh). */
  forgetUser(identifier: string): void;
  /** Forgets all state, faults, counters and a switched mode; issued API access tokens stay valid, as client credentials do. */
  reset(): void;
  close(): Promise<void>;
}

export async function startScalekitEmulator(opts: ScalekitEmulatorOptions = {}): Promise<ScalekitEmulator> {
  const now = opts.now ?? Date.now;
  const ctx: Context = {
    state: new ScalekitState(now),
    tokens: new Tokens(now),
    control: new Control(),
    clientId: opts.clientId ?? 'skc_emulator',
    clientSecret: opts.clientSecret ?? 'emulator-secret',
    magicLinkTtlMs: opts.magicLinkTtlMs ?? 60_000,
    now,
    userVerification: opts.userVerification ?? 'custom',
    samples: { ...DEFAULT_SAMPLES, ...opts.samples },
    url: '',
  };
  const { state } = ctx;
  ctx.control.rateLimit(opts.rateLimit);

  const emulator: ScalekitEmulator = {
    get url() {
      return ctx.url;
    },
    clientId: ctx.clientId,
    clientSecret: ctx.clientSecret,
    control: ctx.control,
    get userVerification() {
      return ctx.userVerification;
    },
    set userVerification(mode) {
      ctx.userVerification = mode;
    },
    configure: (samples) => Object.assign(ctx.samples, samples),
    seedUser(identifier, seed) {
      for (const [connection, status] of Object.entries(seed.connections ?? {})) {
        state.setStatus(identifier, connectionNamed(connection), status);
      }
      for (const email of seed.emails ?? []) state.addEmail(identifier, email);
    },
    setConnectionStatus: (identifier, connection, status) => {
      state.setStatus(identifier, connectionNamed(connection), status);
    },
    addEmail: (identifier, email) => {
      state.addEmail(identifier, email);
    },
    emails: (identifier) =>
      state.mailbox(identifier).map((m) => ({
        id: m.id,
        from: m.from,
        to: m.to,
        subject: m.subject,
        body: m.body,
        unread: m.unread,
        receivedAt: m.receivedAt,
        headers: { ...m.headers },
      })),
    calendarEvents: (identifier) => state.calendar(identifier).map((e) => ({ ...e, attendees: [...e.attendees] })),
    configs: () =>
      [...state.configs.values()].map((c) => ({ id: c.id, name: c.name, mcpServerUrl: mcpServerUrl(ctx, c) })),
    authLinks: (identifier) =>
      [...state.links.values()]
        .filter((l) => identifier === undefined || l.identifier === identifier)
        .map((l) => ({
          url: magicLinkUrl(ctx, l),
          connection: l.connection,
          identifier: l.identifier,
          createdAt: l.createdAt,
        })),
    users: () => state.users(),
    restoreUsers: (snapshot) => state.restoreUsers(snapshot),
    forgetUser: (identifier) => state.forgetUser(identifier),
    reset() {
      state.reset();
      ctx.userVerification = opts.userVerification ?? 'custom';
      Object.assign(ctx.samples, DEFAULT_SAMPLES, opts.samples);
      ctx.control.reset();
      ctx.control.rateLimit(opts.rateLimit);
    },
    close: () => listening.close(),
  };

  const app = express();
  mountEmulatorControlRoutes(app, emulator);
  mountOAuthRoutes(app, ctx);
  mountConfigRoutes(app, ctx);
  mountMagicLinkRoutes(app, ctx);
  mountMcpRoutes(app, ctx);

  const server = createMultiplexServer(createHttpServer(app), createHttp2Server(grpcHandler(ctx)));
  const listening = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  ctx.url = listening.url;
  return emulator;
}
