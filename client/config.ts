import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverter } from '../codec/data-converter.js';
import { keySetSpec } from '../codec/env.js';
import { z } from 'zod';
import { TASK_QUEUE } from '../workflows/contract.js';
import { parseEnv } from '../common/env.js';
import { ConfigError } from '../common/errors.js';

const clientEnvSchema = z
  .object({
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
      .optional(),
    TEMPORAL_API_KEY: z.string().optional(),
    INBOX_AGENT_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  })
  .refine((env) => !env.TEMPORAL_API_KEY || env.TEMPORAL_ADDRESS, {
    path: ['TEMPORAL_ADDRESS'],
    message: 'is not set, and TEMPORAL_API_KEY means a remote cluster with no default address',
  });

export interface ClientConfig {
  connectionOptions: ConnectionOptions;
  namespace: string;
  taskQueue: string;
  /** Payloads are encrypted: a client without the codec keys could neither write nor read them. */
  dataConverter: DataConverter;
}

/** Temporal connection from envconfig (env vars or temporal.toml), checked before anything connects. */
export function loadClientConfig(
  env: Record<string, string | undefined> = process.env,
  missingKeysHint = "the workers' codec keys",
): ClientConfig {
  const parsed = parseEnv(clientEnvSchema, env, '');
  // Checked after the Temporal settings, so a missing address is still the first thing reported.
  const codecKeys = keySetSpec.safeParse(env.INBOX_AGENT_CODEC_KEYS ?? '');
  if (!codecKeys.success) {
    const reason = env.INBOX_AGENT_CODEC_KEYS ? codecKeys.error.issues[0]!.message : `is not set (${missingKeysHint})`;
    throw new ConfigError(`INBOX_AGENT_CODEC_KEYS ${reason}`);
  }
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    throw new ConfigError(`Temporal client configuration: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    connectionOptions: { ...loaded.connectionOptions, connectTimeout: '5 seconds' } as ConnectionOptions,
    namespace: loaded.namespace ?? 'default',
    taskQueue: parsed.INBOX_AGENT_TASK_QUEUE,
    dataConverter: dataConverter(codecKeys.data),
  };
}
