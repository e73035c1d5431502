/**
 * Records the histories test/replay.test.ts replays: run it on the code a change starts from (a
 * worktree of the commit before it), `INBOX_AGENT_RECORD_HISTORIES=<name prefix> npm test --
 * test/record-histories.test.ts`, and copy test/fixtures/histories/<prefix>-*.binpb to the change.
 * Skipped otherwise. The suite's codec keys are made per run, so every payload is decoded first
 * (demo data only); History's binary proto is what `Worker.runReplayHistory` takes back.
 */
import { writeFileSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { sweepWorkflowId } from '../workflows/contract.js';
import { INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { startTestStack, type RunningWorker, type TestStack } from './helpers/stack.js';

const prefix = process.env.INBOX_AGENT_RECORD_HISTORIES;

describe.runIf(prefix)('recording sweep histories for the replay test', () => {
  let stack: TestStack;
  let worker: RunningWorker;
  beforeAll(async () => {
    stack = await startTestStack('record');
    worker = await stack.startWorker();
    await stack.inbox.setup();
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  const record = async (identifier: string, name: string) => {
    const history = await stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier)).fetchHistory();
    await decodePayloads(history, stack.temporal.dataConverter.payloadCodecs ?? []);
    const file = new URL(`fixtures/histories/${prefix}-${name}.binpb`, import.meta.url);
    writeFileSync(file, temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish());
  };

  it('records a sweep with one new e-mail and an idle one', async () => {
    const busy = seedUser(stack, {}, [INVOICE_EMAIL]);
    if ((await stack.inbox.sweep(busy)).outcome !== 'completed') throw new Error('the busy sweep did not complete');
    await record(busy, 'one-email');
    const idle = seedUser(stack, {}, []);
    if ((await stack.inbox.sweep(idle)).outcome !== 'nothing_new') throw new Error('the idle sweep found mail');
    await record(idle, 'idle');
  }, 120_000);
});

type Codec = { decode(payloads: Payload[]): Promise<Payload[]> };
const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' && v !== null && 'data' in v && (v as Payload).metadata?.encoding instanceof Uint8Array;

/** Every payload anywhere in the history, decoded in place through the codecs (last applied, first undone). */
async function decodePayloads(node: unknown, codecs: readonly Codec[]): Promise<void> {
  if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
  const entries: Array<[string | number, unknown]> = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
  for (const [key, value] of entries) {
    if (!isPayload(value)) {
      await decodePayloads(value, codecs);
      continue;
    }
    let payloads = [value];
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    (node as Record<string | number, unknown>)[key] = payloads[0];
  }
}
