import { describe, expect, it } from 'vitest';
import { summarize, type TestReport } from '../../scripts/test-summary.js';

/** What vitest wrote for a file with a failing `beforeAll`, a failing test and an unhandled error. */
const report: TestReport = {
  numPassedTests: 2,
  numFailedTests: 1,
  numPendingTests: 1,
  numTodoTests: 0,
  suiteErrors: [{ file: 'test/x.test.ts', suite: 'broken', message: 'no server' }],
  unhandledErrors: ['unhandled!'],
};

describe('the closing line of npm test', () => {
  it('counts the failing test, the failed hook and the unhandled error, each once', () => {
    expect(summarize(report, 1)).toEqual({
      line: '2 passed, 1 failed, 1 file or suite failed outside their tests, 1 unhandled error, 1 skipped',
      exitCode: 1,
    });
  });

  it('an unhandled error alone still shows, and fails the run', () => {
    const clean = { ...report, numFailedTests: 0, suiteErrors: [], numPendingTests: 0 };
    expect(summarize(clean, 1)).toEqual({ line: '2 passed, 0 failed, 1 unhandled error', exitCode: 1 });
  });

  it('never prints nothing failed beside a failing exit code', () => {
    const clean = { ...report, numFailedTests: 0, suiteErrors: [], unhandledErrors: [], numPendingTests: 0 };
    expect(summarize(clean, 0)).toEqual({ line: '2 passed, 0 failed', exitCode: 0 });
    expect(summarize(clean, 1)).toEqual({
      line: '2 passed, 0 failed, vitest exited 1 for a reason not counted here',
      exitCode: 1,
    });
  });

  it('a failure counted but a zero exit code still fails', () => {
    expect(summarize({ ...report, unhandledErrors: [] }, 0).exitCode).toBe(1);
  });
});
