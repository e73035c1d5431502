import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVOICE_EMAIL, seedUser, vaultsOf } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/**
 * A sentinel check over everything the worker logs at the most verbose level, through a sweep that
 * succeeds, one that is retried, and one that fails: no session token, API key or client secret.
 */
describe('secrets stay out of logs', () => {
  let stack: TestStack;
  const lines: string[] = [];

  beforeAll(async () => {
    const capture = new DefaultLogger('TRACE', (entry) => {
      lines.push(
        `${entry.message} ${JSON.stringify(entry.meta ?? {}, (_k, v) => (v instanceof Error ? `${v.stack} ${String(v.cause)}` : v))}`,
      );
    });
    stack = await startTestStack('secrets', capture);
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('through success, retries and failures', async () => {
    const identifier = seedUser(stack);
    stack.emulators.agents.control.inject({ route: 'POST /v1/vaults/:vault_id/credentials', status: 503, times: 1 });
    await stack.inbox.sweep(identifier);
    stack.emulators.agents.control.inject({
      route: 'POST /v1/vaults/:vault_id/credentials/:credential_id',
      status: 401,
    });
    // A new e-mail, so the sweep has work and reaches the vault.
    stack.emulators.scalekit.addEmail(identifier, { ...INVOICE_EMAIL, subject: 'Another one' });
    await expect(stack.inbox.sweep(identifier)).rejects.toThrow();

    const token = vaultsOf(stack, identifier)[0]!.credentials[0]!.token;
    const log = lines.join('\n');
    expect(log).toMatch(/Activity failed/); // the failures were logged, so the check below has material
    for (const secret of [token, stack.emulators.agents.apiKey, stack.emulators.scalekit.clientSecret]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });
});
