/**
 * The workflow bundles as production builds them (`npm run build`, scripts/build-workflow-bundle.ts)
 * and what may be in each. The SDK evaluates the bundle's own entry once per reusable V8 context, but
 * each workflow run requires the workflows and the workflow interceptors again into a module cache of
 * its own (@temporalio/worker lib/workflow/reusable-vm.js, bundler.js `genEntrypoint`), so everything
 * they import is initialised, and held, per run. CPU profiles (issue 18) found that initialisation a
 * large part of the workflow thread's time: zod's schema constructors first (now kept out), then the
 * OpenTelemetry workflow interceptors, half the bundle, run even with tracing off. So there are two
 * bundles: the plain one for a worker that does not trace (the default), the traced one with the
 * interceptors. Measured at `npm run bench -- --users 200 --rounds 2`, the plain one took the worker
 * from 0.077 to about 0.063 CPU-s per sweep and its peak RSS from 778 to 520 MiB (docs/benchmarks.md).
 * Each has its allowed packages and a size budget, which `npm run build` and
 * test/unit/workflow-bundle.test.ts check.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type BundleOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

export type BundleKind = 'plain' | 'traced';

export const bundleKind = (traced: boolean): BundleKind => (traced ? 'traced' : 'plain');

/** What webpack is given besides the workflows: the parts that differ between the two bundles. */
type KindOptions = Pick<BundleOptions, 'workflowInterceptorModules' | 'preloadModules'>;

export interface BundleSpec {
  /** Where `npm run build` writes it, relative to dist/. */
  file: string;
  /** The packages it may hold: anything else fails the build and the test. */
  packages: readonly string[];
  /**
   * Bytes of code (the inline source map excluded: a comment nothing runs) it may have. Measured plus
   * ~10 % for the workflow code still to come, so a new package or a heavy import fails here instead
   * of costing every run unnoticed. Raise it only with a measurement that says why.
   */
  budgetBytes: number;
  options: KindOptions;
}

/**
 * What the workflows need in the sandbox: the SDK (with `long` and `nexus-rpc`, its own
 * dependencies) and `ms`, the duration parser the SDK itself uses. zod, the service SDKs and anything
 * else stay on the activity side.
 */
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'long', 'nexus-rpc', 'ms'];

/** The SDK's OpenTelemetry workflow interceptors and what they import. */
const TRACING_PACKAGES = [
  '@temporalio/interceptors-opentelemetry',
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/semantic-conventions',
];

const resolve = createRequire(import.meta.url).resolve;

/** Beside this file: compiled (dist/worker/) when `npm run build` bundles, the sources otherwise. */
const sibling = (name: string) =>
  fileURLToPath(new URL(`./${name}.${import.meta.url.endsWith('.js') ? 'js' : 'ts'}`, import.meta.url));

export const BUNDLES: Record<BundleKind, BundleSpec> = {
  // Measured 637 KB built from the compiled workflows, 665 KB from the sources the tests bundle: the
  // SDK's own modules are nearly all of it.
  plain: { file: 'workflow-bundle.js', packages: SDK_PACKAGES, budgetBytes: 730_000, options: {} },
  // Measured 1.48 MB (1.51 MB from the sources), OpenTelemetry 840 KB of it; the semantic conventions
  // are 390 KB of that, 250 KB before the preload below took the whole package.
  traced: {
    file: 'workflow-bundle-traced.js',
    packages: [...SDK_PACKAGES, ...TRACING_PACKAGES],
    budgetBytes: 1_650_000,
    options: {
      workflowInterceptorModules: [resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
      // Initialised once per V8 context instead of per run, then deep-frozen and shared by every run
      // (reusable-vm.js): only modules without state of their own may be. The semantic conventions are
      // string constants, nothing mutates them. Measured over 200 replays of a sweep's history (warm,
      // four rounds): 26.6 CPU-ms per run with the preload, 28.4 without (the plain bundle: 17.0).
      // Not the rest of the stack: @opentelemetry/api creates its singletons and registrations lazily
      // (frozen, they would throw or leak between runs), core reads `performance` at load, which the
      // interceptors' runtime module installs per run, and the interceptors keep their tracer in
      // module state.
      preloadModules: [sibling('semconv-preload')],
    },
  },
};

/** A bundle of `kind`; `options` are the workflows, the failure converter and anything the caller adds. */
export function bundleWorkflows(
  kind: BundleKind,
  options: Omit<BundleOptions, keyof KindOptions>,
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ logger: new DefaultLogger('WARN'), ...options, ...BUNDLES[kind].options });
}

/** Bytes of code (no source map) and the packages in a bundle webpack made. */
export function bundleContents(code: string): { codeBytes: number; packages: Map<string, number> } {
  const map = code.indexOf('\n//# sourceMappingURL=');
  const body = map < 0 ? code : code.slice(0, map);
  const packages = new Map<string, number>();
  // webpack's development output opens each module with `/***/ "<path>":`.
  const modules = body.split(/\n\/\*\*\*\/ "/).slice(1);
  for (const module of modules) {
    const name = /^[^"]*node_modules\/((?:@[^/]+\/)?[^/"]+)\//.exec(module)?.[1];
    if (name) packages.set(name, (packages.get(name) ?? 0) + module.length);
  }
  return { codeBytes: Buffer.byteLength(body), packages };
}

/** What is wrong with a bundle of `kind`: packages it must not hold, or more bytes than its budget. */
export function bundleProblems(code: string, kind: BundleKind): string[] {
  const { packages: allowed, budgetBytes } = BUNDLES[kind];
  const { codeBytes, packages } = bundleContents(code);
  const problems = [...packages]
    .filter(([name]) => !allowed.includes(name))
    .map(([name, bytes]) => `the ${kind} workflow bundle holds ${name} (${bytes} bytes): ${advice(name)}`);
  if (codeBytes > budgetBytes) {
    problems.push(`the ${kind} workflow bundle is ${codeBytes} bytes of code, over its budget of ${budgetBytes}`);
  }
  return problems;
}

const advice = (name: string) =>
  TRACING_PACKAGES.includes(name) ? 'tracing belongs in the traced bundle only' : 'keep it on the activity side';
