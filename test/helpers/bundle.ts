/**
 * The workflow bundle with shortened limits, for the test harness and the bench's simulated long
 * wait (bench/long-wait.ts): no vitest here, so a plain script can use it too.
 */
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import webpack from 'webpack';
import { failureConverterPath } from '../../codec/data-converter.js';
import type { Limits } from '../../workflows/limits.js';
import { workflowsPath } from '../../worker/create-worker.js';
import { bundleKind, bundleWorkflows } from '../../worker/workflow-bundle.js';

/**
 * Tests wait seconds, not minutes: floors of 100 ms for `recheckEvery` and `remindEvery` (see
 * workflows/limits.ts), in the workflows this harness bundles and in this process's client checks.
 * Nothing outside the test harness defines this name, so the product keeps its own floors.
 */
export const TEST_LIMITS: Partial<Limits> = { minRecheckEveryMs: 100, minRemindEveryMs: 100 };
(globalThis as { INBOX_AGENT_TEST_LIMITS?: Partial<Limits> }).INBOX_AGENT_TEST_LIMITS = TEST_LIMITS;

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/**
 * Bundling takes seconds: once per test file, kind and set of limits. `limits` adds to TEST_LIMITS,
 * e.g. a small history budget so a wait continues as new within seconds. `traced`: the bundle with
 * the OpenTelemetry workflow interceptors (worker/workflow-bundle.ts), for a worker that traces; the
 * plain one, about half the size, otherwise.
 */
export function workflowBundle(
  limits: Partial<Limits> = {},
  { traced = false }: { traced?: boolean } = {},
): Promise<WorkflowBundleWithSourceMap> {
  const defined = JSON.stringify({ ...TEST_LIMITS, ...limits });
  const kind = bundleKind(traced);
  const key = `${kind} ${defined}`;
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = bundleWorkflows(kind, {
      workflowsPath,
      failureConverterPath,
      logger: quietLogger,
      webpackConfigHook: (config) => ({
        ...config,
        plugins: [...(config.plugins ?? []), new webpack.DefinePlugin({ INBOX_AGENT_TEST_LIMITS: defined })],
      }),
    });
    bundles.set(key, bundle);
  }
  return bundle;
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
