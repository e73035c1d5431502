import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { describeDatabaseUrl } from '../activities/state/index.js';
import { runMain } from '../common/run-main.js';
import { parseWorkerConfig } from './config.js';
import { createLogger, logSettings } from './logging.js';
import { startInboxWorker } from './start.js';
import { installTracing } from './tracing.js';

/**
 * The worker process: Temporal from envconfig (so Temporal Cloud works by env vars), APIs from env,
 * logs as JSON lines in production. SIGTERM/SIGINT stop it gracefully (INBOX_AGENT_SHUTDOWN_GRACE).
 *
 * `--processes N|auto` (or INBOX_AGENT_WORKER_PROCESSES) runs N worker processes on the task queue,
 * `auto` one per core: a Node process runs its workflows and the JavaScript of its activities on one
 * thread, so one process per core is how a host's cores all sweep. node:cluster forks them; each is a
 * whole worker (its own connections, caches and slots; the task queue spreads the work), the first
 * serves the metrics address given and each next one the port after.
 */
async function main(): Promise<void> {
  const processes = workerProcesses();
  if (processes > 1 && cluster.isPrimary) return supervise(processes);
  const logger = createLogger(logSettings());
  const index = Number(process.env.INBOX_AGENT_WORKER_INDEX ?? 0);
  const config = parseWorkerConfig(withMetricsPortOf(process.env, index));
  const inbox = await startInboxWorker(config, { runtime: { logger } });
  const tracing = installTracing();
  logger.info('inbox-agent worker started', {
    namespace: inbox.namespace,
    taskQueue: config.INBOX_AGENT_TASK_QUEUE,
    metrics: config.INBOX_AGENT_METRICS_ADDRESS ?? 'off',
    tracing: tracing.enabled ? 'otlp' : 'off',
    shutdownGraceMs: config.INBOX_AGENT_SHUTDOWN_GRACE,
    state: describeDatabaseUrl(config.INBOX_AGENT_DATABASE_URL),
    ...(cluster.worker ? { process: `${index + 1} of ${processes}` } : {}),
  });
  try {
    await inbox.done;
  } finally {
    await inbox.stop();
    await tracing.shutdown();
    logger.info('inbox-agent worker stopped');
    // A forked process's IPC channel to the primary would keep it alive after the worker stopped.
    cluster.worker?.disconnect();
  }
}

function workerProcesses(): number {
  const count = (v: string) => {
    if (v === 'auto') return availableParallelism();
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('a whole number 1-256, or auto');
    return n;
  };
  const cli = new Command('worker')
    .description('the inbox-agent worker (configuration from the environment: see .env.example)')
    .option('--processes <n|auto>', 'worker processes on the task queue; auto: one per core', count)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse();
  const fromEnv = process.env.INBOX_AGENT_WORKER_PROCESSES;
  return cli.opts<{ processes?: number }>().processes ?? (fromEnv ? cliEnv(count, fromEnv) : 1);
}

function cliEnv(count: (v: string) => number, value: string): number {
  try {
    return count(value);
  } catch (err) {
    console.error(`inbox-agent worker: INBOX_AGENT_WORKER_PROCESSES: ${(err as Error).message}`);
    process.exit(2);
  }
}

/** Worker process `index` (0-based) serves the metrics port given plus `index`. */
function withMetricsPortOf(env: NodeJS.ProcessEnv, index: number): NodeJS.ProcessEnv {
  const match = env.INBOX_AGENT_METRICS_ADDRESS?.match(/^(.*):(\d+)$/);
  if (!index || !match) return env;
  return { ...env, INBOX_AGENT_METRICS_ADDRESS: `${match[1]}:${Number(match[2]) + index}` };
}

/**
 * The primary forks the workers and waits. SIGTERM/SIGINT go to every worker (each drains with its
 * grace). A worker that dies otherwise is replaced (its sweeps' next tasks go to the others meanwhile),
 * except on a usage error (exit 2), which every replacement would repeat: then all stop.
 */
async function supervise(processes: number): Promise<void> {
  let stopping = false;
  let failure: string | undefined;
  const indexOf = new Map<number, number>();
  const fork = (index: number) => indexOf.set(cluster.fork({ INBOX_AGENT_WORKER_INDEX: String(index) }).id, index);
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  for (let i = 0; i < processes; i++) fork(i);
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  process.on('SIGINT', () => stopAll('SIGINT'));
  await new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const index = indexOf.get(worker.id)!;
      if (!stopping && code === 2) {
        failure = `worker process ${index + 1} refused its configuration`;
        stopAll('SIGTERM');
      } else if (!stopping) {
        console.error(`inbox-agent worker: process ${index + 1} ended (${code ?? signal}); starting another`);
        fork(index);
        return;
      } else if (code !== 0 && signal === null) failure ??= `worker process ${index + 1} failed while stopping`;
      // Counted here: a worker may still be listed in cluster.workers when its 'exit' is emitted.
      indexOf.delete(worker.id);
      if (indexOf.size === 0) resolve();
    });
  });
  if (failure) throw new Error(failure);
}

runMain('inbox-agent worker', main, { stack: true });
