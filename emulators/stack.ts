import { randomBytes } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { startManagedAgentsEmulator, type ManagedAgentsEmulator } from './managed-agents/index.js';
import { startScalekitEmulator, type ScalekitEmulator } from './scalekit/index.js';

export interface EmulatorStack {
  scalekit: ScalekitEmulator;
  agents: ManagedAgentsEmulator;
  /** The environment a worker needs to use these emulators as if they were the real services. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface EmulatorStackOptions {
  scalekitPort?: number;
  agentsPort?: number;
  host?: string;
  /** 32 bytes in base64; a fresh random key when omitted. */
  sealKey?: string;
}

/** Both emulators, plus the Managed Agents environment that sessions run in. */
export async function startEmulatorStack(options: EmulatorStackOptions = {}): Promise<EmulatorStack> {
  const scalekit = await startScalekitEmulator({ port: options.scalekitPort, host: options.host });
  const agents = await startManagedAgentsEmulator({ port: options.agentsPort, host: options.host }).catch(
    async (err: unknown) => {
      await scalekit.close();
      throw err;
    },
  );
  const anthropic = new Anthropic({ baseURL: agents.url, apiKey: agents.apiKey, maxRetries: 0 });
  const environment = await anthropic.beta.environments.create({ name: 'inbox-agent-emulated' });
  return {
    scalekit,
    agents,
    env: {
      SCALEKIT_ENV_URL: scalekit.url,
      SCALEKIT_CLIENT_ID: scalekit.clientId,
      SCALEKIT_CLIENT_SECRET: scalekit.clientSecret,
      ANTHROPIC_BASE_URL: agents.url,
      ANTHROPIC_API_KEY: agents.apiKey,
      ANTHROPIC_ENVIRONMENT_ID: environment.id,
      INBOX_AGENT_SEAL_KEY: options.sealKey ?? randomBytes(32).toString('base64'),
    },
    async close() {
      await Promise.all([scalekit.close(), agents.close()]);
    },
  };
}
