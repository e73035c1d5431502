import { InboxAgentClient } from '../client/index.js';
import { loadClientConfig } from '../client/config.js';
import { runMain } from '../common/run-main.js';
import { parseCallbackConfig, startCallback } from './index.js';

/** `npm run callback`: the consent callback as its own process, beside the workers. */
async function main(): Promise<void> {
  const config = parseCallbackConfig();
  const clientConfig = loadClientConfig();
  const inbox = await InboxAgentClient.connect(clientConfig);
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

runMain('inbox-agent callback', main, { stack: true });
