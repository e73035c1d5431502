/**
 * The workflow bundle as production builds it (`npm run build`, scripts/build-workflow-bundle.ts)
 * and what may be in it. Every workflow run evaluates the whole bundle in a fresh context, so its
 * size is paid per run: a CPU profile of 300 sweeps (issue 18) found creating workflow contexts and
 * initialising the bundle's modules to be half the workflow thread's time, zod's schema constructors
 * the largest project-side item. So the bundle holds only the packages below, and a size budget
 * catches anything else that grows it; `npm run build` and test/unit/workflow-bundle.test.ts check both.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowInterceptorModules } from './tracing.js';

/**
 * The packages the workflows need in the sandbox: the SDK (with `long` and `nexus-rpc`, its own
 * dependencies), its OpenTelemetry interceptors, and `ms`, the duration parser the SDK itself uses.
 * zod, the service SDKs and anything else stay on the activity side.
 */
export const BUNDLE_PACKAGES: readonly string[] = [
  '@temporalio/workflow',
  '@temporalio/common',
  '@temporalio/interceptors-opentelemetry',
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/semantic-conventions',
  'long',
  'nexus-rpc',
  'ms',
];

/**
 * The bundle's code, its inline source map excluded (a comment nothing runs), at most this many
 * bytes. Measured 1.35 MB once zod left (1.82 MB with it); the budget is that plus ~10 % for the
 * workflow code still to come, so a new package or a heavy import fails here instead of costing
 * every run unnoticed. Raise it only with a measurement that says why.
 */
export const BUNDLE_BUDGET_BYTES = 1_500_000;

export async function bundleWorkflows(workflowsPath: string, failureConverterPath: string): Promise<string> {
  // The OpenTelemetry workflow interceptors are in the bundle whether or not a worker traces.
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    workflowInterceptorModules,
    logger: new DefaultLogger('WARN'),
  });
  return code;
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

/** What is wrong with a bundle: packages it must not hold, or more bytes than the budget. */
export function bundleProblems(code: string): string[] {
  const { codeBytes, packages } = bundleContents(code);
  const problems = [...packages]
    .filter(([name]) => !BUNDLE_PACKAGES.includes(name))
    .map(([name, bytes]) => `the workflow bundle holds ${name} (${bytes} bytes): keep it on the activity side`);
  if (codeBytes > BUNDLE_BUDGET_BYTES) {
    problems.push(`the workflow bundle is ${codeBytes} bytes of code, over its budget of ${BUNDLE_BUDGET_BYTES}`);
  }
  return problems;
}
