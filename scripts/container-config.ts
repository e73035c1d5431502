/**
 * The containers' configuration, once: `check:container` runs the image with exactly this, and
 * compose.yaml describes the same (test/unit/container-config.test.ts compares the two). What a
 * deployment's `.env` provides (keys, Scalekit, Anthropic, the callback) comes in as `services` and
 * the fields below; what compose sets per service is `COMPOSE_WORKER_ENV`.
 */

/** The image's state directory (Dockerfile `INBOX_AGENT_STATE_DIR`): a tmpfs under a read-only root. */
export const IMAGE_STATE_DIR = '/app/.data';

/** The variables compose.yaml's `worker` service sets itself, beside its `.env`. */
export const COMPOSE_WORKER_ENV = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'INBOX_AGENT_DATABASE_URL'] as const;

/** Each process of the image and its command (compose services of the same names). */
export const IMAGE_COMMANDS = {
  worker: ['node', 'dist/worker/main.js'],
  callback: ['node', 'dist/callback/main.js'],
  'codec-server': ['node', 'dist/codec/main.js'],
} as const;

export interface ContainerSettings {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  codecKeys: string;
  sealKeys: string;
  consentKey: string;
  /** SCALEKIT_* and ANTHROPIC_* (the real services, or the emulators' addresses). */
  services: Record<string, string>;
  shutdownGrace: string;
  callbackUrl?: string;
}

/** A worker container's environment: compose's per-service variables plus what its `.env` holds. */
export function containerEnv(s: ContainerSettings): Record<string, string> {
  const composeSet: Record<(typeof COMPOSE_WORKER_ENV)[number], string> = {
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_NAMESPACE: s.namespace,
    INBOX_AGENT_DATABASE_URL: s.databaseUrl,
  };
  return {
    ...s.services,
    ...composeSet,
    INBOX_AGENT_TASK_QUEUE: s.taskQueue,
    INBOX_AGENT_CODEC_KEYS: s.codecKeys,
    INBOX_AGENT_SEAL_KEYS: s.sealKeys,
    INBOX_AGENT_CONSENT_KEY: s.consentKey,
    INBOX_AGENT_SHUTDOWN_GRACE: s.shutdownGrace,
    ...(s.callbackUrl ? { INBOX_AGENT_CALLBACK_URL: s.callbackUrl } : {}),
  };
}
