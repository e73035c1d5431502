import { describe, expect, it } from 'vitest';
import { failureConverterPath } from '../../codec/data-converter.js';
import { workflowsPath } from '../../worker/create-worker.js';
import { BUNDLE_BUDGET_BYTES, bundleContents, bundleProblems, bundleWorkflows } from '../../worker/workflow-bundle.js';

describe('the workflow bundle (evaluated by every workflow run)', () => {
  it('holds no zod and no package beyond the SDK, its tracing and ms, within its byte budget', async () => {
    const code = await bundleWorkflows(workflowsPath, failureConverterPath);
    const { codeBytes, packages } = bundleContents(code);
    // The parse of the bundle found modules: a format change of webpack's output would pass vacuously.
    expect(packages.get('@temporalio/workflow')).toBeGreaterThan(0);
    expect([...packages.keys()]).not.toContain('zod');
    expect(bundleProblems(code)).toEqual([]);
    expect(codeBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  }, 120_000);
});
