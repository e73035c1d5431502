/**
 * Part of `npm run build`: bundles the compiled workflows (webpack, via the SDK's bundleWorkflowCode)
 * into both workflow bundles, dist/workflow-bundle.js (plain) and dist/workflow-bundle-traced.js (with
 * the OpenTelemetry workflow interceptors); the compiled worker loads the one its tracing needs at
 * start. Fails the build when a bundle holds a package it must not, or outgrows its budget
 * (worker/workflow-bundle.ts).
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  BUNDLES,
  bundleContents,
  bundleProblems,
  bundleWorkflows,
  type BundleKind,
} from '../worker/workflow-bundle.js';

const dist = new URL('../dist/', import.meta.url);
const kinds = Object.keys(BUNDLES) as BundleKind[];
// One after the other: webpack is CPU-bound, and the machines that build have few cores.
const built: Array<[BundleKind, string]> = [];
for (const kind of kinds) {
  const { code } = await bundleWorkflows(kind, {
    workflowsPath: fileURLToPath(new URL('workflows/index.js', dist)),
    // Workflow failures are encoded in the sandbox too: the bundle carries the codec's failure converter.
    failureConverterPath: fileURLToPath(new URL('codec/failure-converter.cjs', dist)),
  });
  built.push([kind, code]);
}
const problems = built.flatMap(([kind, code]) => bundleProblems(code, kind));
for (const problem of problems) console.error(`build: ${problem}`);
if (problems.length > 0) process.exit(1);
for (const [kind, code] of built) {
  const out = fileURLToPath(new URL(BUNDLES[kind].file, dist));
  await writeFile(out, code);
  console.log(`workflow bundle (${kind}): ${out} (${(bundleContents(code).codeBytes / 1024).toFixed(0)} KiB of code)`);
}
