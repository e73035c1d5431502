import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { workflowInterceptorModules, type Tracing } from './tracing.js';

/** Compiled (dist/worker/create-worker.js) rather than run from source by tsx or vitest. */
const compiled = import.meta.url.endsWith('.js');

export const workflowsPath = fileURLToPath(new URL(`../workflows/index.${compiled ? 'js' : 'ts'}`, import.meta.url));

/** Where `npm run build` writes the workflow bundle: dist/workflow-bundle.js, beside dist/worker/. */
export const prebuiltBundlePath = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

export interface InboxWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** From `dataConverter()` (codec/data-converter.ts): the same one every client of the deployment uses. */
  dataConverter: DataConverter;
  /** A bundle built by the caller (tests build one per file); otherwise the prebuilt or a fresh one. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long (ms) running activities get to finish when the worker is asked to stop; default 10 s. */
  shutdownGraceMs?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /** The work one process takes on at once (see worker/config.ts): unset keeps the SDK's defaults. */
  maxConcurrentLocalActivityExecutions?: number;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Activity interceptors and the workflow span sink; the workflow interceptors are in every bundle. */
  tracing?: Tracing;
}

/**
 * The compiled worker loads the bundle `npm run build` made, so it starts in well under a second and
 * never runs webpack in production; a missing bundle there is a broken build, not a reason to bundle.
 * From source (tsx, `npm start`), the workflows are bundled at start-up.
 */
function workflowCode(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (existsSync(prebuiltBundlePath)) return { workflowBundle: { codePath: prebuiltBundlePath } };
  if (compiled) throw new Error(`no prebuilt workflow bundle at ${prebuiltBundlePath}: run npm run build`);
  return { workflowsPath };
}

export function createInboxWorker(options: InboxWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowCode();
  const grace = options.shutdownGraceMs ?? 10_000;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...code,
    interceptors: {
      // Bundled here only when the worker bundles at start-up; a prebuilt bundle already has them.
      workflowModules: code.workflowsPath ? workflowInterceptorModules : undefined,
      ...options.tracing?.workerOptions.interceptors,
    },
    sinks: options.tracing?.workerOptions.sinks,
    dataConverter: options.dataConverter,
    shutdownGraceTime: grace,
    // A worker still stopping this long after the grace gives up, so the process does end.
    shutdownForceTime: grace + 10_000,
    ...defined({
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
      maxConcurrentLocalActivityExecutions: options.maxConcurrentLocalActivityExecutions,
      maxCachedWorkflows: options.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
    }),
  });
}

/** The options that were given: an unset one keeps the SDK's default. */
function defined<T extends Record<string, number | undefined>>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
