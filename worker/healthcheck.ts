/**
 * The image's HEALTHCHECK (and a Kubernetes liveness/readiness exec probe): healthy when the worker
 * process answers on its runtime's Prometheus endpoint (INBOX_AGENT_METRICS_ADDRESS) and the Temporal
 * frontend the worker uses (the same envconfig: address, namespace, TLS, API key) answers a
 * GetSystemInfo within the timeout. The endpoint alone stays up while the worker cannot poll, so a
 * worker cut off from Temporal would look healthy forever. Exit 0 healthy, 1 not, one line saying why.
 */
import { Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';

const TIMEOUT_MS = 3_000;

function unhealthy(message: string): never {
  console.error(`healthcheck: ${message}`);
  process.exit(1);
}

async function metricsAnswer(): Promise<void> {
  const address = process.env.INBOX_AGENT_METRICS_ADDRESS;
  if (!address) unhealthy('INBOX_AGENT_METRICS_ADDRESS is not set, so the worker serves no endpoint');
  // Bound to every interface (0.0.0.0:port) it answers on loopback too.
  const url = `http://${address.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:')}/metrics`;
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err: unknown) =>
    unhealthy(`${url}: ${(err as Error).message}`),
  );
  if (!res.ok) unhealthy(`${url} answered ${res.status}`);
}

async function temporalAnswers(): Promise<void> {
  const { connectionOptions } = loadClientConnectConfig();
  const address = connectionOptions.address ?? 'localhost:7233';
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions, connectTimeout: TIMEOUT_MS });
    await connection.withDeadline(Date.now() + TIMEOUT_MS, () => connection!.workflowService.getSystemInfo({}));
  } catch (err) {
    unhealthy(`Temporal at ${address} does not answer: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await connection?.close().catch(() => {});
  }
}

await metricsAnswer();
await temporalAnswers();
process.exit(0);
