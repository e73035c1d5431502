import { randomBytes, randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScalekitApi } from '../activities/apis/scalekit.js';
import { createConsentState } from '../consent/state.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { doctorExitCode, formatDoctor, temporalRows, workerRows } from '../client/doctor.js';
import type { DoctorRow } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startOidcCallback } from './helpers/consent.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

const row = (rows: DoctorRow[], check: string) => rows.find((r) => r.check.startsWith(check));

describe('doctor', () => {
  let stack: TestStack;
  let deps: ActivityDeps;
  let callback: Awaited<ReturnType<typeof startOidcCallback>>;
  const consentKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    stack = await startTestStack('doctor');
    // The consent callback as deployed standalone: OIDC sign-in against a local provider.
    callback = await startOidcCallback(stack, consentKey, []);
    deps = {
      ...stack.deps,
      consent: { callbackUrl: `${callback.url}/`, state: createConsentState(consentKey) },
    };
    await stack.startWorker(deps);
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await callback?.close();
    await stack?.close();
  });

  const services = (override: Partial<ActivityDeps> = {}, identifier?: string) =>
    createActivities({ ...deps, ...override }).doctorServices({ identifier, read: identifier !== undefined });

  it('a good stack: every check passes, through the worker as `cli doctor` runs it', async () => {
    const identifier = seedUser(stack);
    const rows = [
      ...(await temporalRows(stack.temporal.client)),
      ...(await workerRows(stack.temporal.client, stack.taskQueue, { identifier, read: true })),
    ];
    expect(rows.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      'Temporal',
      'Search attributes',
      'Codec and seal keys',
      'State database',
      'Consent callback',
      'Callback identity source',
      'Consent reconciler',
      'Scalekit credentials',
      'Virtual MCP config',
      'Anthropic API key',
      'Anthropic environment',
      'Agent',
      `Connections of ${identifier}`,
      'MCP tools/list',
      'One read through MCP',
    ]);
    expect(row(rows, 'One read')?.found).toMatch(/^1 unread parsed/);
    expect(doctorExitCode(rows)).toBe(0);
    expect(formatDoctor(rows)).toMatch(/all checks passed$/);
  });

  it('an identity source that cannot sign anyone in (the OIDC provider is down): FAIL naming the setting', async () => {
    const broken = await startOidcCallback(stack, consentKey, []);
    try {
      await broken.closeProvider();
      const rows = await services({ consent: { callbackUrl: broken.url, state: createConsentState(consentKey) } });
      // The callback itself answers; the sign-in behind it does not.
      expect(row(rows, 'Consent callback')?.status).toBe('PASS');
      expect(row(rows, 'Callback identity source')).toMatchObject({
        status: 'FAIL',
        found: expect.stringMatching(/^OIDC login at http:\/\/127\.0\.0\.1:\d+\/ .*openid-configuration/),
        fix: expect.stringContaining('INBOX_AGENT_OIDC_ISSUER'),
      });
      expect(doctorExitCode(rows)).toBe(1);
    } finally {
      await broken.close();
    }
  });

  it('a wrong Scalekit secret: FAIL naming the variable', async () => {
    const scalekit = new ScalekitApi({
      envUrl: stack.emulators.scalekit.url,
      clientId: stack.emulators.scalekit.clientId,
      clientSecret: 'not-the-secret',
    });
    const rows = await services({ scalekit });
    expect(row(rows, 'Scalekit credentials')).toMatchObject({
      status: 'FAIL',
      fix: expect.stringContaining('SCALEKIT_CLIENT_SECRET'),
    });
    expect(doctorExitCode(rows)).toBe(1);
  });

  it('a limited environment without MCP access: FAIL naming allow_mcp_servers', async () => {
    const anthropic = new Anthropic({
      baseURL: stack.emulators.agents.url,
      apiKey: stack.emulators.agents.apiKey,
      maxRetries: 0,
    });
    const limited = await anthropic.beta.environments.create({
      name: 'limited',
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: [] } },
    });
    const rows = await services({ settings: { ...deps.settings, environmentId: limited.id } });
    expect(row(rows, 'Anthropic environment')).toMatchObject({
      status: 'FAIL',
      fix: expect.stringContaining('allow_mcp_servers = true'),
    });
    // The emulated platform blocks MCP from it too: the sweep's session reaches no tools.
    const allowed = await anthropic.beta.environments.update(limited.id, {
      config: { type: 'cloud', networking: { type: 'limited', allow_mcp_servers: true } },
    });
    expect(
      row(await services({ settings: { ...deps.settings, environmentId: allowed.id } }), 'Anthropic environment')
        ?.status,
    ).toBe('PASS');
  });

  it('a missing search attribute: FAIL with the command that registers it', async () => {
    const namespace = `doctor-${randomUUID().slice(0, 8)}`;
    await stack.temporal.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection: stack.temporal.client.connection, namespace });
    const rows = await temporalRows(client);
    expect(row(rows, 'Search attributes')).toMatchObject({
      status: 'FAIL',
      found: expect.stringContaining('InboxIdentifier'),
      fix: expect.stringContaining(
        `temporal operator search-attribute create --namespace ${namespace} --name InboxIdentifier`,
      ),
    });
  });

  it('tool names the agent does not grant (the server prefixes them): FAIL saying how the agent adopts them', async () => {
    const identifier = seedUser(stack);
    stack.emulators.scalekit.configure({ toolNamePrefix: 'vendor_' });
    try {
      const rows = await services({}, identifier);
      expect(row(rows, 'MCP tools/list')).toMatchObject({
        status: 'PASS',
        found: expect.stringContaining('vendor_gmail_fetch_mails'),
      });
      expect(row(rows, 'Agent tool names')).toMatchObject({ status: 'FAIL', fix: expect.stringContaining('setup') });
    } finally {
      stack.emulators.scalekit.configure({ toolNamePrefix: '' });
    }
  });

  it('a server that lacks a tool or declares another output shape: FAIL naming the tool or field', async () => {
    const identifier = seedUser(stack);
    stack.emulators.scalekit.configure({ gmailOutput: 'flat' });
    try {
      const rows = await services({}, identifier);
      expect(row(rows, 'MCP tools/list')).toMatchObject({
        status: 'FAIL',
        found: expect.stringContaining('gmail_fetch_mails declares no output field messages'),
      });
    } finally {
      stack.emulators.scalekit.configure({ gmailOutput: 'gmail_api' });
    }
  });
});
