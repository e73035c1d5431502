import { InboxAgentClient } from '../client/index.js';
import { loadClientConfig } from '../client/config.js';
import { runMain } from '../common/run-main.js';
import { ConfigError, TemporalUnreachableError, temporalUnreachable } from '../common/errors.js';
import { parseCallbackConfig, startCallback } from './index.js';

/** `npm run callback`: the consent callback as its own process, beside the workers. */
async function main(): Promise<void> {
  // Both checks run before either fails, so one start reports every missing or bad variable.
  const [config, clientConfig] = allOrProblems(
    () => parseCallbackConfig(),
    () => loadClientConfig(),
  );
  const address = clientConfig.connectionOptions.address ?? 'localhost:7233';
  const inbox = await InboxAgentClient.connect(clientConfig).catch((err: unknown) => {
    throw new TemporalUnreachableError(
      temporalUnreachable(address, err, 'is the server running, and is TEMPORAL_ADDRESS (or temporal.toml) right?'),
    );
  });
  const callback = await startCallback(config, inbox);
  console.log(`inbox-agent consent callback on ${callback.url} (Temporal namespace ${clientConfig.namespace})`);
  const stop = async () => {
    await callback.close();
    await inbox.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** Runs every check; if any throws a ConfigError, one ConfigError with all their lines. */
function allOrProblems<A, B>(a: () => A, b: () => B): [A, B] {
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.message.split('\n'));
      return undefined;
    }
  };
  const results = [attempt(a), attempt(b)] as [A, B];
  if (problems.length) throw new ConfigError([...new Set(problems)].join('\n'));
  return results;
}

runMain('inbox-agent callback', main, { stack: true });
