import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { doctorWorkflowId, searchAttributes, type DoctorInput, type DoctorRow } from '../workflows/contract.js';
import type { doctor } from '../workflows/index.js';

/** How long `doctor` waits for a worker to pick up its checks before saying none is running. */
const WORKER_WAIT_MS = 30_000;

/** Temporal's side: the namespace answers and has the search attributes the sweeps set. */
export async function temporalRows(client: Client): Promise<DoctorRow[]> {
  const { namespace } = client.options;
  const rows: DoctorRow[] = [];
  try {
    await client.workflowService.describeNamespace({ namespace });
    rows.push({ check: 'Temporal', status: 'PASS', found: `namespace ${namespace} reachable` });
  } catch (err) {
    rows.push({
      check: 'Temporal',
      status: 'FAIL',
      found: `namespace ${namespace}: ${(err as Error).message.split('\n')[0]}`,
      fix: 'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and credentials (temporal envconfig)',
    });
    return rows;
  }
  try {
    const listed = await client.connection.operatorService.listSearchAttributes({ namespace });
    const known = { ...listed.customAttributes };
    const missing = Object.values(searchAttributes).filter((key) => !(key.name in known));
    rows.push(
      missing.length === 0
        ? {
            check: 'Search attributes',
            status: 'PASS',
            found: Object.values(searchAttributes)
              .map((k) => k.name)
              .join(', '),
          }
        : {
            check: 'Search attributes',
            status: 'FAIL',
            found: `missing ${missing.map((k) => k.name).join(', ')}`,
            fix: missing
              .map(
                (k) =>
                  `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type Keyword`,
              )
              .join('; '),
          },
    );
  } catch (err) {
    rows.push({
      check: 'Search attributes',
      status: 'WARN',
      found: `cannot list them: ${(err as Error).message.split('\n')[0]}`,
      fix: `check in the Temporal UI that ${Object.values(searchAttributes)
        .map((k) => k.name)
        .join(', ')} exist`,
    });
  }
  return rows;
}

/** The checks that need credentials, on a worker of `taskQueue` (the `doctor` workflow). */
export async function workerRows(client: Client, taskQueue: string, input: DoctorInput): Promise<DoctorRow[]> {
  const handle = await client.workflow.start<typeof doctor>('doctor', {
    taskQueue,
    workflowId: doctorWorkflowId(randomUUID()),
    args: [input],
    // No worker to run it: say so rather than wait for one forever.
    workflowTaskTimeout: '10s',
    workflowExecutionTimeout: '5 minutes',
  });
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), WORKER_WAIT_MS).unref());
  const started = await Promise.race([handle.result(), timeout]);
  if (started !== 'timeout') return started;
  await handle.terminate('no worker answered').catch(() => undefined);
  return [
    {
      check: 'Worker',
      status: 'FAIL',
      found: `no worker ran the checks on task queue ${taskQueue} within ${WORKER_WAIT_MS / 1000}s`,
      fix: "start a worker (the image's default command, or npm run worker) on this task queue",
    },
  ];
}

/** One line per check, aligned; the fix on the line below. */
export function formatDoctor(rows: DoctorRow[]): string {
  const width = Math.max(...rows.map((r) => r.check.length));
  const lines = rows.flatMap((r) => [
    `${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.found}`,
    ...(r.fix ? [`${' '.repeat(6 + width)}  → ${r.fix}`] : []),
  ]);
  const failed = rows.filter((r) => r.status === 'FAIL').length;
  const warned = rows.filter((r) => r.status === 'WARN').length;
  lines.push(
    '',
    failed > 0 ? `${failed} check(s) failed` : `all checks passed${warned ? ` (${warned} warning(s))` : ''}`,
  );
  return lines.join('\n');
}

/** 0 when nothing failed, 1 otherwise. */
export const doctorExitCode = (rows: DoctorRow[]): number => (rows.some((r) => r.status === 'FAIL') ? 1 : 0);
