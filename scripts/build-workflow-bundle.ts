/**
 * Part of `npm run build`: bundles the compiled workflows once (webpack, via the SDK's
 * bundleWorkflowCode) into dist/workflow-bundle.js, which the compiled worker loads at start.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowInterceptorModules } from '../worker/tracing.js';

const dist = new URL('../dist/', import.meta.url);
const workflowsPath = fileURLToPath(new URL('workflows/index.js', dist));
const out = fileURLToPath(new URL('workflow-bundle.js', dist));
// Workflow failures are encoded in the sandbox too: the bundle carries the codec's failure converter.
const failureConverterPath = fileURLToPath(new URL('codec/failure-converter.cjs', dist));

// The OpenTelemetry workflow interceptors are in the bundle whether or not a worker traces.
const { code } = await bundleWorkflowCode({
  workflowsPath,
  failureConverterPath,
  workflowInterceptorModules,
  logger: new DefaultLogger('WARN'),
});
await writeFile(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
