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
import type { RunnerTask, SerializedError } from 'vitest';
import { JsonReporter, type JsonTestResults, type TestModule, type TestRunEndReason } from 'vitest/node';

/** A file or suite whose own hooks or collection failed (not a test inside it). */
export interface SuiteError {
  file: string;
  suite: string;
  message: string;
}

/** What the summary reads: vitest's JSON report plus what only a reporter sees. */
export type TestReport = Pick<JsonTestResults, 'numPassedTests' | 'numFailedTests' | 'numPendingTests' | 'numTodoTests'> & {
  suiteErrors?: SuiteError[];
  unhandledErrors?: string[];
};

/** The line, and the exit code that goes with it: never "0 failed" with a failing exit code. */
export function summarize(report: TestReport, vitestExitCode: number): { line: string; exitCode: number } {
  const suiteErrors = report.suiteErrors?.length ?? 0;
  const unhandled = report.unhandledErrors?.length ?? 0;
  const skipped = report.numPendingTests + report.numTodoTests;
  const parts = [`${report.numPassedTests} passed`, `${report.numFailedTests} failed`];
  if (suiteErrors) parts.push(`${suiteErrors} ${suiteErrors === 1 ? 'file or suite' : 'files or suites'} failed outside their tests`);
  if (unhandled) parts.push(`${unhandled} unhandled ${unhandled === 1 ? 'error' : 'errors'}`);
  if (skipped) parts.push(`${skipped} skipped`);
  const counted = report.numFailedTests + suiteErrors + unhandled;
  if (vitestExitCode !== 0 && counted === 0) parts.push(`vitest exited ${vitestExitCode} for a reason not counted here`);
  return { line: parts.join(', '), exitCode: vitestExitCode !== 0 ? vitestExitCode : counted > 0 ? 1 : 0 };
}

function suiteErrorsOf(task: RunnerTask, file: string, out: SuiteError[]): SuiteError[] {
  if (task.type !== 'suite') return out;
  for (const err of task.result?.errors ?? [])
    out.push({ file, suite: task.name, message: err.message ?? String(err) });
  for (const child of task.tasks) suiteErrorsOf(child, file, out);
  return out;
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
      suiteErrors: testModules.flatMap((m) => suiteErrorsOf(m.task, m.moduleId, [])),
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
    console.log(`0 passed, 0 failed, no test report (vitest exited ${code})`);
    process.exit(Number(code) || 1);
  }
  const { line, exitCode } = summarize(report, Number(code));
  console.log(line);
  process.exit(exitCode);
}
