/**
 * `npm run codec-server`: the codec server on its own, for a Web UI or `temporal` CLI in front of a
 * real deployment. It holds the codec keys only, never the seal keys.
 */
import { z } from 'zod';
import { parseEnv } from '../common/env.js';
import { runMain } from '../common/run-main.js';
import { keySetSpec } from './env.js';
import { startCodecServer } from './server.js';

const codecServerEnvSchema = z.object({
  INBOX_AGENT_CODEC_KEYS: keySetSpec,
  INBOX_AGENT_CODEC_SERVER_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,}$/, 'must be at least 32 of A-Z a-z 0-9 _ - (openssl rand -hex 32)'),
  INBOX_AGENT_CODEC_SERVER_ORIGINS: z
    .string()
    .default('http://localhost:8233,http://127.0.0.1:8233')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  INBOX_AGENT_CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  INBOX_AGENT_CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
});

async function main(): Promise<void> {
  const env = parseEnv(codecServerEnvSchema, process.env);
  const server = await startCodecServer({
    codecKeys: env.INBOX_AGENT_CODEC_KEYS,
    token: env.INBOX_AGENT_CODEC_SERVER_TOKEN,
    origins: env.INBOX_AGENT_CODEC_SERVER_ORIGINS,
    host: env.INBOX_AGENT_CODEC_SERVER_HOST,
    port: env.INBOX_AGENT_CODEC_SERVER_PORT,
  });
  console.log(`inbox-agent codec server on ${server.url} for ${env.INBOX_AGENT_CODEC_SERVER_ORIGINS.join(', ')}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

runMain('inbox-agent codec server', main);
