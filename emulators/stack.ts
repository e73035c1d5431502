import Anthropic from '@anthropic-ai/sdk';
import { startManagedAgentsEmulator, type ManagedAgentsEmulator } from './managed-agents/index.js';
import { startScalekitEmulator, type ScalekitEmulator, type UserVerificationMode } from './scalekit/index.js';

/** An emulator, and the environment variables that point a worker at it instead of the real service. */
export interface Emulated<E> {
  emulator: E;
  env: Record<string, string>;
}

/**
 * In the `dashboard` test mode the environment also says so to the workers, which then start without a
 * consent callback; in `custom` (production) mode they need `INBOX_AGENT_CALLBACK_URL`.
 */
export async function emulateScalekit(
  port?: number,
  host?: string,
  userVerification: UserVerificationMode = 'custom',
): Promise<Emulated<ScalekitEmulator>> {
  const emulator = await startScalekitEmulator({ port, host, userVerification });
  return {
    emulator,
    env: {
      SCALEKIT_ENV_URL: emulator.url,
      SCALEKIT_CLIENT_ID: emulator.clientId,
      SCALEKIT_CLIENT_SECRET: emulator.clientSecret,
      ...(userVerification === 'dashboard' ? { INBOX_AGENT_SCALEKIT_USER_VERIFICATION: 'dashboard' } : {}),
    },
  };
}

/** The emulator plus the Managed Agents environment that sessions run in. */
export async function emulateManagedAgents(port?: number, host?: string): Promise<Emulated<ManagedAgentsEmulator>> {
  const emulator = await startManagedAgentsEmulator({ port, host });
  try {
    const anthropic = new Anthropic({ baseURL: emulator.url, apiKey: emulator.apiKey, maxRetries: 0 });
    const environment = await anthropic.beta.environments.create({ name: 'inbox-agent-emulated' });
    return {
      emulator,
      env: {
        ANTHROPIC_BASE_URL: emulator.url,
        ANTHROPIC_API_KEY: emulator.apiKey,
        ANTHROPIC_ENVIRONMENT_ID: environment.id,
      },
    };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

export interface EmulatorStack {
  scalekit: ScalekitEmulator;
  agents: ManagedAgentsEmulator;
  /** The environment a worker needs to use these emulators as if they were the real services. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Both emulators on free loopback ports: what the tests run against, Scalekit in its dashboard-users
 * test mode unless told otherwise (flows through the consent callback switch it to `custom`).
 */
export async function startEmulatorStack(userVerification: UserVerificationMode = 'dashboard'): Promise<EmulatorStack> {
  const scalekit = await emulateScalekit(undefined, undefined, userVerification);
  const agents = await emulateManagedAgents().catch(async (err: unknown) => {
    await scalekit.emulator.close();
    throw err;
  });
  return {
    scalekit: scalekit.emulator,
    agents: agents.emulator,
    env: { ...scalekit.env, ...agents.env },
    async close() {
      await Promise.all([scalekit.emulator.close(), agents.emulator.close()]);
    },
  };
}
