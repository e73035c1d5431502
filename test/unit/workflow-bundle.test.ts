import { describe, expect, it } from 'vitest';
import { failureConverterPath } from '../../codec/data-converter.js';
import { workflowsPath } from '../../worker/create-worker.js';
import { BUNDLES, bundleContents, bundleProblems, bundleWorkflows } from '../../worker/workflow-bundle.js';

const isTracing = (name: string) => name.includes('opentelemetry');

describe('the workflow bundles (what every workflow run initialises)', () => {
  it('the plain one holds no OpenTelemetry and no zod, only the SDK and ms, within its own budget', async () => {
    const { code } = await bundleWorkflows('plain', { workflowsPath, failureConverterPath });
    const { codeBytes, packages } = bundleContents(code);
    // The parse of the bundle found modules: a format change of webpack's output would pass vacuously.
    expect(packages.get('@temporalio/workflow')).toBeGreaterThan(0);
    expect([...packages.keys()].filter(isTracing)).toEqual([]);
    expect([...packages.keys()]).not.toContain('zod');
    // Its allowed list cannot let tracing back in either.
    expect(BUNDLES.plain.packages.filter(isTracing)).toEqual([]);
    expect(bundleProblems(code, 'plain')).toEqual([]);
    expect(codeBytes).toBeLessThanOrEqual(BUNDLES.plain.budgetBytes);
  }, 120_000);

  it('the traced one holds the OpenTelemetry workflow interceptors, no zod, within its budget', async () => {
    const { code } = await bundleWorkflows('traced', { workflowsPath, failureConverterPath });
    const { codeBytes, packages } = bundleContents(code);
    expect(packages.get('@temporalio/interceptors-opentelemetry')).toBeGreaterThan(0);
    expect([...packages.keys()]).not.toContain('zod');
    expect(bundleProblems(code, 'traced')).toEqual([]);
    // The preload loads a module: webpack turns a preload it can drop (a side-effect-free package
    // named directly) into `0;`, silently.
    expect(code).toMatch(/preloadModules\(\) \{\s*__webpack_require__\([^)]*semconv-preload/);
    expect(codeBytes).toBeLessThanOrEqual(BUNDLES.traced.budgetBytes);
    // What the plain bundle saves every untraced run: the check above would pass on one bundle for both.
    expect(bundleProblems(code, 'plain').some((p) => p.includes('@opentelemetry/api'))).toBe(true);
  }, 120_000);
});
