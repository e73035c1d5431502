/** Anything with `get(name)`: fetch's `Headers`, which both our Scalekit client and the Anthropic SDK expose. */
interface HeaderSource {
  get(name: string): string | null;
}

/**
 * How long an answer asks us to wait, in ms: `retry-after-ms` first, then `retry-after` in seconds
 * or as an HTTP-date (RFC 9110 §10.2.3), the order the Anthropic SDK reads them in
 * (src/client.ts `retryRequest`). Undefined when absent, unparseable or not in the future.
 * Hand-rolled: no maintained package parses both headers, and it is a few lines.
 */
export function retryAfterMs(headers: HeaderSource | null | undefined): number | undefined {
  const positive = (ms: number) => (Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined);
  const ms = headers?.get('retry-after-ms');
  if (ms) {
    const parsed = positive(Number(ms));
    if (parsed !== undefined) return parsed;
  }
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return positive(Number(value) * 1000);
  return positive(Date.parse(value) - Date.now());
}
