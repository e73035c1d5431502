import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { Tracing } from './tracing.js';
import { BUNDLES, bundleKind, type BundleKind } from './workflow-bundle.js';

/** Compiled (dist/worker/create-worker.js) rather than run from source by tsx or vitest. */
const compiled = import.meta.url.endsWith('.js');

export const workflowsPath = fileURLToPath(new URL(`../workflows/index.${compiled ? 'js' : 'ts'}`, import.meta.url));

/** Where `npm run build` writes the workflow bundle of `kind` (dist/workflow-bundle*.js), beside dist/worker/. */
export const prebuiltBundlePath = (kind: BundleKind): string =>
  fileURLToPath(new URL(`../${BUNDLES[kind].file}`, import.meta.url));

export interface InboxWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** From `dataConverter()` (codec/data-converter.ts): the same one every client of the deployment uses. */
  dataConverter: DataConverter;
  /**
   * A bundle built by the caller (tests build one per file), which must be the traced one when tracing
   * is on; otherwise the prebuilt or a fresh one of the kind the tracing needs.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long (ms) running activities get to finish when the worker is asked to stop; default 10 s. */
  shutdownGraceMs?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /** The work one process takes on at once (see worker/config.ts): unset keeps the SDK's defaults. */
  maxConcurrentLocalActivityExecutions?: number;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /**
   * Activity interceptors and the workflow span sink. Enabled, the worker runs the traced bundle (with
   * the workflow interceptors); otherwise the plain one, whose runs initialise no OpenTelemetry at all.
   */
  tracing?: Tracing;
}

/**
 * The compiled worker loads the bundle `npm run build` made, so it starts in well under a second and
 * never runs webpack in production; a missing bundle there is a broken build, not a reason to bundle.
 * From source (tsx, `npm start`), the workflows are bundled at start-up, with the options of `kind`.
 */
function workflowCode(kind: BundleKind): Partial<WorkerOptions> {
  const prebuilt = prebuiltBundlePath(kind);
  if (existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  if (compiled) throw new Error(`no prebuilt workflow bundle at ${prebuilt}: run npm run build`);
  const { workflowInterceptorModules, preloadModules } = BUNDLES[kind].options;
  return {
    workflowsPath,
    interceptors: { workflowModules: workflowInterceptorModules },
    bundlerOptions: { preloadModules },
  };
}

export function createInboxWorker(options: InboxWorkerOptions): Promise<Worker> {
  const { interceptors, ...code }: Partial<WorkerOptions> = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : workflowCode(bundleKind(options.tracing?.enabled ?? false));
  const grace = options.shutdownGraceMs ?? 10_000;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...code,
    // Workflow interceptor modules only when the worker bundles at start-up; a prebuilt bundle has its own.
    interceptors: { ...interceptors, ...options.tracing?.workerOptions.interceptors },
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
