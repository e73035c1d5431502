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
const clean: TestReport = { ...report, numFailedTests: 0, numPendingTests: 0, suiteErrors: [], unhandledErrors: [] };

describe('the closing line of npm test', () => {
  it('counts the failing test, the failed hook and the unhandled error, each once', () => {
    expect(summarize(report, 1)).toEqual({
      lines: [
        '1 test failed; 1 file or suite failed outside its tests; 1 unhandled error',
        '2 passed, 3 failed, 1 skipped',
      ],
      exitCode: 1,
    });
  });

  it('an unhandled error alone still counts as a failure', () => {
    expect(summarize({ ...clean, unhandledErrors: ['boom', 'bang'] }, 1)).toEqual({
      lines: ['2 unhandled errors', '2 passed, 2 failed'],
      exitCode: 1,
    });
  });

  it('never prints 0 failed beside a failing exit code', () => {
    expect(summarize(clean, 0)).toEqual({ lines: ['2 passed, 0 failed'], exitCode: 0 });
    expect(summarize(clean, 1)).toEqual({
      lines: ['vitest exited 1 for a reason not counted above', '2 passed, 1 failed'],
      exitCode: 1,
    });
  });

  it('a failure counted beside a zero exit code still fails the run', () => {
    expect(summarize({ ...clean, suiteErrors: report.suiteErrors }, 0).exitCode).toBe(1);
  });
});
