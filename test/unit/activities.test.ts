import { randomBytes } from 'node:crypto';
import { APIError } from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ScalekitApiError } from '../../activities/apis/scalekit.js';
import { mcpConfigDefinition, sameMappings, agentDefinition } from '../../activities/definitions.js';
import { classify } from '../../activities/failures.js';
import { tokenExpirySeconds } from '../../activities/mint-session-token.js';
import { createSealer, sealKeys } from '../../activities/seal.js';
import { generateKeySpec } from '../../codec/keys.js';
import { ErrorType, isValidIdentifier } from '../../workflows/contract.js';
import { spreadOffsetMs } from '../../client/index.js';

describe('sealer', () => {
  const keys = sealKeys(generateKeySpec('s1'));
  const binding = { workflowId: 'inbox-sweep:u1:r1', runId: 'run-1', identifier: 'u1' };
  it('round-trips and never shows the plaintext', () => {
    const sealer = createSealer(keys);
    const sealed = sealer.seal('token-abc-123', binding);
    expect(sealed.keyId).toBe('s1');
    expect(JSON.stringify(sealed)).not.toContain('token-abc-123');
    expect(sealer.open(sealed, binding)).toBe('token-abc-123');
  });
  it('refuses another key, another run or identifier, and tampering, as non-retryable SealBroken', () => {
    const sealed = createSealer(keys).seal('secret', binding);
    const broken = expect.objectContaining({ type: ErrorType.SealBroken, nonRetryable: true });
    expect(() => createSealer(sealKeys(generateKeySpec('s1'))).open(sealed, binding)).toThrow(broken);
    expect(() => createSealer(sealKeys(generateKeySpec('s2'))).open(sealed, binding)).toThrow(broken);
    expect(() => createSealer(keys).open(sealed, { ...binding, runId: 'run-2' })).toThrow(broken);
    expect(() => createSealer(keys).open(sealed, { ...binding, identifier: 'u2' })).toThrow(broken);
    const raw = Buffer.from(sealed.sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    const tampered = { ...sealed, sealed: raw.toString('base64') };
    expect(() => createSealer(keys).open(tampered, binding)).toThrow(/failed authentication/);
  });
  it('rotates: the newest seals, older keys and the legacy single key still open', () => {
    const legacy = randomBytes(32).toString('base64');
    const old = generateKeySpec('old');
    const before = createSealer(sealKeys(old, legacy));
    const fromLegacy = createSealer(sealKeys(undefined, legacy)).seal('a', binding);
    const fromOld = before.seal('b', binding);
    const after = createSealer(sealKeys(`${generateKeySpec('new')},${old}`, legacy));
    expect(after.seal('c', binding).keyId).toBe('new');
    expect(after.open(fromOld, binding)).toBe('b');
    expect(after.open(fromLegacy, binding)).toBe('a');
  });
});

describe('classify', () => {
  const anthropic = (status: number, headers: Record<string, string> = {}) =>
    APIError.generate(status, { type: 'error', error: { type: 'x', message: 'm' } }, 'm', new Headers(headers));
  it.each([
    [400, ErrorType.InvalidRequest],
    [401, ErrorType.Unauthenticated],
    [403, ErrorType.PermissionDenied],
    [404, ErrorType.NotFound],
  ])('%i is non-retryable %s, from either API', (status, type) => {
    for (const err of [anthropic(status), new ScalekitApiError(status, 'm')]) {
      const failure = classify(err) as ApplicationFailure;
      expect(failure.type).toBe(type);
      expect(failure.nonRetryable).toBe(true);
    }
  });
  it('429 waits as long as Retry-After asks; 5xx stays retryable', () => {
    const limited = classify(anthropic(429, { 'retry-after': '7' })) as ApplicationFailure;
    expect(limited.nonRetryable).toBe(false);
    expect(limited.nextRetryDelay).toBe(7000);
    const unavailable = classify(new ScalekitApiError(503, 'm')) as ApplicationFailure;
    expect(unavailable.nonRetryable).toBe(false);
    expect(unavailable.type).toBe('Http503');
  });
  it('messages carry status, error type and request id, never the response body', () => {
    const body = { type: 'error', error: { type: 'invalid_request_error', message: 'token tok-9f8e7d is malformed' } };
    const failure = classify(APIError.generate(400, body, undefined, new Headers({ 'request-id': 'req_42' })));
    expect((failure as ApplicationFailure).message).toBe(
      'Anthropic answered 400 invalid_request_error (request req_42)',
    );
  });
  it('leaves network errors alone for Temporal to retry', () => {
    const err = new TypeError('fetch failed');
    expect(classify(err)).toBe(err);
  });
});

describe('definitions', () => {
  it('maps gmail and googlecalendar to the tools of the guide', () => {
    const def = mcpConfigDefinition('email-calendar-demo');
    expect(def.connection_tool_mappings.map((m) => m.connection_name)).toEqual(['gmail', 'googlecalendar']);
    expect(def.connection_tool_mappings[1]!.tools).toContain('googlecalendar_create_event');
  });
  it('compares mappings regardless of order', () => {
    const a = [
      { connection_name: 'gmail', tools: ['a', 'b'] },
      { connection_name: 'googlecalendar', tools: ['c'] },
    ];
    expect(sameMappings(a, [a[1]!, { connection_name: 'gmail', tools: ['b', 'a'] }])).toBe(true);
    expect(sameMappings(a, [a[0]!])).toBe(false);
  });
  it('agent digest changes with the definition, not between calls', () => {
    const one = agentDefinition('A', 'm', 'http://x/mcp');
    expect(agentDefinition('A', 'm', 'http://x/mcp').digest).toBe(one.digest);
    expect(agentDefinition('A', 'm2', 'http://x/mcp').digest).not.toBe(one.digest);
    expect(JSON.stringify(one.definition)).not.toMatch(/token|authorization/i);
  });
});

describe('session token lifetime', () => {
  it('outlives the session by a margin, within Scalekit limits', () => {
    expect(tokenExpirySeconds(3600_000)).toBe(3600 + 600);
    expect(tokenExpirySeconds(23 * 3600_000 + 3_599_000)).toBe(24 * 3600);
  });
});

describe('identifiers', () => {
  it.each(['user-1', 'U_42', 'tenant:7.user:9', 'x'.repeat(100)])('accepts %s', (id) =>
    expect(isValidIdentifier(id)).toBe(true),
  );
  it.each(['', 'jane@example.com', 'has space', '-lead', 'x'.repeat(101)])('rejects %j', (id) =>
    expect(isValidIdentifier(id)).toBe(false),
  );
});

describe('schedule spread', () => {
  it('is a stable whole-second offset inside the interval', () => {
    const hour = 3600_000;
    const a = spreadOffsetMs('user-1', hour);
    expect(spreadOffsetMs('user-1', hour)).toBe(a);
    expect(a % 1000).toBe(0);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(hour);
    expect(spreadOffsetMs('1s-interval', 1000)).toBe(0);
  });
  it('spreads many users across the interval', () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => spreadOffsetMs(`user-${i}`, 3600_000));
    const minutes = new Set(offsets.map((o) => Math.floor(o / 60_000)));
    expect(minutes.size).toBeGreaterThan(55);
  });
});
