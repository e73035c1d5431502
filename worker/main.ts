import { describeDatabaseUrl } from '../activities/state/index.js';
import { runMain } from '../common/run-main.js';
import { parseWorkerConfig } from './config.js';
import { createLogger, logSettings } from './logging.js';
import { startInboxWorker } from './start.js';
import { installTracing } from './tracing.js';

/**
 * The worker process: Temporal from envconfig (so Temporal Cloud works by env vars), APIs from env,
 * logs as JSON lines in production. SIGTERM/SIGINT stop it gracefully (INBOX_AGENT_SHUTDOWN_GRACE).
 */
async function main(): Promise<void> {
  const logger = createLogger(logSettings());
  const config = parseWorkerConfig();
  const inbox = await startInboxWorker(config, { runtime: { logger } });
  const tracing = installTracing();
  logger.info('inbox-agent worker started', {
    namespace: inbox.namespace,
    taskQueue: config.INBOX_AGENT_TASK_QUEUE,
    metrics: config.INBOX_AGENT_METRICS_ADDRESS ?? 'off',
    tracing: tracing.enabled ? 'otlp' : 'off',
    shutdownGraceMs: config.INBOX_AGENT_SHUTDOWN_GRACE,
    state: describeDatabaseUrl(config.INBOX_AGENT_DATABASE_URL),
  });
  try {
    await inbox.done;
  } finally {
    await inbox.stop();
    await tracing.shutdown();
    logger.info('inbox-agent worker stopped');
  }
}

runMain('inbox-agent worker', main, { stack: true });
