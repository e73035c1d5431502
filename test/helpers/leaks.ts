import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';

/**
 * The forms a secret can take in bytes we search: as is, and base64 at each of the three byte
 * alignments it may sit at inside a longer base64 string (payload data in proto-JSON, for one).
 */
export function needles(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = [secret, bytes.toString('base64url')];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Drop the characters that mix in the padding bytes before and whatever follows after.
    forms.push(encoded.slice(offset === 0 ? 0 : offset + 1, -4));
  }
  return forms;
}

/** Which of the secrets' forms occur in the text or bytes; empty means none leaked. */
export function leaks(haystack: string | Buffer, secrets: string[]): string[] {
  const text = Buffer.isBuffer(haystack) ? haystack.toString('latin1') : haystack;
  return secrets.flatMap((s) => needles(s).filter((n) => text.includes(Buffer.from(n).toString('latin1'))));
}

/** The history exactly as the server stores and serves it: the protobuf bytes. */
export async function rawHistory(client: Client, workflowId: string, runId?: string): Promise<Buffer> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
}
