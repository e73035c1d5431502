/**
 * Part of `npm run build`: bundles the compiled workflows once (webpack, via the SDK's
 * bundleWorkflowCode) into dist/workflow-bundle.js, which the compiled worker loads at start. Fails
 * the build when the bundle holds a package it must not, or outgrows its budget (worker/workflow-bundle.ts).
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleContents, bundleProblems, bundleWorkflows } from '../worker/workflow-bundle.js';

const dist = new URL('../dist/', import.meta.url);
const out = fileURLToPath(new URL('workflow-bundle.js', dist));
const code = await bundleWorkflows(
  fileURLToPath(new URL('workflows/index.js', dist)),
  // Workflow failures are encoded in the sandbox too: the bundle carries the codec's failure converter.
  fileURLToPath(new URL('codec/failure-converter.cjs', dist)),
);
const problems = bundleProblems(code);
for (const problem of problems) console.error(`build: ${problem}`);
if (problems.length > 0) process.exit(1);
await writeFile(out, code);
console.log(`workflow bundle: ${out} (${(bundleContents(code).codeBytes / 1024).toFixed(0)} KiB of code)`);
