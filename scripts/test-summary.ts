/**
 * The closing line of `npm test`: counts that agree with the exit code. vitest's JSON report counts
 * tests only; a hook that fails (a `beforeAll` that never got its server, an `afterAll` that left
 * one running), a file that fails to load and an unhandled error outside any test all fail the run
 * without a failed test, so `SummaryReporter` adds them to the report and `summarize` counts each.
 * A reporter class because only a reporter sees vitest's unhandled errors; it extends vitest's own
 * JSON reporter so the report keeps vitest's fields.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SerializedError } from 'vitest';
import { JsonReporter, type JsonTestResults, type TestModule, type TestRunEndReason } from 'vitest/node';

/** A file or suite whose own hooks or collection failed (not a test inside it). */
export interface SuiteError {
  file: string;
  suite: string;
  message: string;
}

/** What the summary reads: vitest's JSON report plus what only a reporter sees. */
export type TestReport = Pick<
  JsonTestResults,
  'numPassedTests' | 'numFailedTests' | 'numPendingTests' | 'numTodoTests'
> & {
  suiteErrors?: SuiteError[];
  unhandledErrors?: string[];
};

/**
 * The closing line, `N passed, N failed[, N skipped]` (the plain form CI reads), where "failed"
 * counts every failure of the run: failed tests, files or suites that failed on their own, unhandled
 * errors, and a failing exit code nothing else explains. A line before it says what the failures were.
 * Never "0 failed" beside a failing exit code.
 */
export function summarize(report: TestReport, vitestExitCode: number): { lines: string[]; exitCode: number } {
  const kinds: Array<[number, string, string]> = [
    [report.numFailedTests, 'test failed', 'tests failed'],
    [
      report.suiteErrors?.length ?? 0,
      'file or suite failed outside its tests',
      'files or suites failed outside their tests',
    ],
    [report.unhandledErrors?.length ?? 0, 'unhandled error', 'unhandled errors'],
  ];
  let failed = kinds.reduce((n, [k]) => n + k, 0);
  if (vitestExitCode !== 0 && failed === 0) {
    kinds.push([1, `vitest exited ${vitestExitCode} for a reason not counted above`, '']);
    failed = 1;
  }
  const skipped = report.numPendingTests + report.numTodoTests;
  const detail = kinds
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => (many === '' ? one : n === 1 ? `1 ${one}` : `${n} ${many}`));
  return {
    lines: [
      ...(detail.length ? [detail.join('; ')] : []),
      `${report.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''),
    ],
    exitCode: vitestExitCode !== 0 ? vitestExitCode : failed > 0 ? 1 : 0,
  };
}

function suiteErrorsOf(module: TestModule): SuiteError[] {
  const file = module.relativeModuleId;
  return [module, ...module.children.allSuites()].flatMap((suite) =>
    suite
      .errors()
      .map((err) => ({ file, suite: suite.type === 'module' ? file : suite.fullName, message: err.message })),
  );
}

/** vitest's JSON report, with the suites that failed on their own and the unhandled errors added. */
export default class SummaryReporter extends JsonReporter {
  private extra: Pick<TestReport, 'suiteErrors' | 'unhandledErrors'> = {};

  override async onTestRunEnd(
    testModules: readonly TestModule[],
    unhandledErrors: readonly SerializedError[] = [],
    _reason?: TestRunEndReason,
  ): Promise<void> {
    this.extra = {
      suiteErrors: testModules.flatMap(suiteErrorsOf),
      unhandledErrors: unhandledErrors.map((e) => e.message ?? String(e)),
    };
    await super.onTestRunEnd(testModules);
  }

  override async writeReport(report: string): Promise<void> {
    await super.writeReport(JSON.stringify({ ...(JSON.parse(report) as object), ...this.extra }));
  }
}

// `tsx scripts/test-summary.ts <report.json> <vitest exit code>`: prints the line, exits with its code.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, code] = process.argv.slice(2);
  let report: TestReport;
  try {
    report = JSON.parse(readFileSync(file!, 'utf8')) as TestReport;
  } catch {
    console.log(`no test report (vitest exited ${code})\n0 passed, 1 failed`);
    process.exit(Number(code) || 1);
  }
  const { lines, exitCode } = summarize(report, Number(code));
  for (const line of lines) console.log(line);
  process.exit(exitCode);
}
