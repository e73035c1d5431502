/**
 * The image's HEALTHCHECK: the worker process answers on its runtime's Prometheus endpoint
 * (INBOX_AGENT_METRICS_ADDRESS). Exit 0 healthy, 1 not.
 */
const address = process.env.INBOX_AGENT_METRICS_ADDRESS;
if (!address) {
  console.error('healthcheck: INBOX_AGENT_METRICS_ADDRESS is not set, so the worker serves no endpoint');
  process.exit(1);
}
// Bound to every interface (0.0.0.0:port) it answers on loopback too.
const url = `http://${address.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:')}/metrics`;
fetch(url, { signal: AbortSignal.timeout(3_000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  (err: unknown) => {
    console.error(`healthcheck: ${url}: ${(err as Error).message}`);
    process.exit(1);
  },
);
