/**
 * The workflows' own input checks, zod-free (workflow-safe, and cheap to load in every workflow
 * context). A starter other than our client (a raw Temporal client, the Web UI, `temporal workflow
 * start`) may send anything; bad input must fail the run once with a non-retryable `InvalidRequest`,
 * never throw a plain error that fails the workflow task over and over.
 */
import { ApplicationFailure } from '@temporalio/common';
// The duration parser Temporal itself uses (`@temporalio/common` depends on this exact version), so
// what is accepted here is what Temporal accepts; Temporal's own `msToNumber` is not public API.
import ms, { type StringValue } from 'ms';
import {
  DEFAULT_APPROVAL_TIMEOUT,
  DEFAULT_REAUTH_TIMEOUT,
  DEFAULT_RECHECK_EVERY,
  DEFAULT_REMIND_EVERY,
  DEFAULT_SESSION_TIMEOUT,
  ErrorType,
  DEFAULT_MAX_EMAILS,
  IDENTIFIER_RULE,
  isValidIdentifier,
  MAX_APPROVAL_TIMEOUT_MS,
  MAX_MAX_EMAILS,
  MAX_REAUTH_TIMEOUT_MS,
  MAX_SESSION_TIMEOUT_MS,
  NO_PROMPT_RULE,
} from './contract.js';
import type { SweepSettings } from './contract.schema.js';
import { limits, type Limits } from './limits.js';

export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.InvalidRequest);
}

/**
 * Quoted and cut short, so a megabyte of junk input does not become a megabyte of failure message;
 * the cut is inside the quotes, so the value still reads as one quoted string.
 */
export function show(value: unknown, max = 80): string {
  if (typeof value !== 'string') {
    const text = String(value);
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }
  const chars = [...value];
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : value);
}

/**
 * A Temporal duration (ms as a number, or a string like '30s', '15 minutes', '7 days') in ms, more
 * than zero and within [minMs, maxMs]; otherwise what is wrong with it. Zod-free, so the workflow can
 * use it too: the schema's duration fields (contract.schema.ts) parse with this same function.
 */
export function readDuration(value: unknown, maxMs = Infinity, minMs = 0): number | { problem: string } {
  let millis = NaN;
  if (typeof value === 'number') millis = value;
  else if (typeof value === 'string' && value.length <= 100) {
    try {
      millis = ms(value as StringValue);
    } catch {
      // reported below
    }
  }
  if (Number.isFinite(millis) && millis <= 0) return { problem: 'must be longer than zero' };
  if (!Number.isFinite(millis)) return { problem: 'expected a duration like 30s, 15m, 1h' };
  if (millis > maxMs) return { problem: `at most ${ms(maxMs, { long: true })}` };
  if (millis < minMs) return { problem: `at least ${ms(minMs, { long: true })}` };
  return millis;
}

/** `readDuration`, failing with InvalidRequest: `invalid <name> <value>: <problem>`. */
export function parseDuration(name: string, value: unknown, maxMs = Infinity, minMs = 0): number {
  const millis = readDuration(value, maxMs, minMs);
  if (typeof millis !== 'number') throw invalidInput(`invalid ${name} ${show(value)}: ${millis.problem}`);
  return millis;
}

export function checkIdentifier(value: unknown): string {
  if (typeof value !== 'string' || !isValidIdentifier(value)) {
    throw invalidInput(`invalid identifier ${show(value)}: expected ${IDENTIFIER_RULE}`);
  }
  return value;
}

/** A request id becomes part of a workflow id, which no codec encrypts: the same rule as identifiers. */
export function checkRequestId(value: unknown): string {
  if (typeof value !== 'string' || !isValidIdentifier(value)) {
    throw invalidInput(`invalid request id ${show(value)}: expected ${IDENTIFIER_RULE}`);
  }
  return value;
}

/** A Gmail message id: opaque, at most 200 of A-Z a-z 0-9 _ - (what `retry` accepts). */
export function checkMessageId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(value)) {
    throw invalidInput(`invalid message id ${show(value)}: expected a Gmail message id (letters, digits, _ and -)`);
  }
  return value;
}

/**
 * The workflow's own cheap check of its input, zod-free (zod is not in the workflow bundle): whoever
 * started it, the run fails at once, before any activity, when the identifier, a duration, a cap or a
 * floor is wrong, or a prompt is sent. The schema's further checks (unknown fields, exact types) run
 * in the sweep's first activity (`parseSweepInput`). Typed by the schema's output, so a field the
 * schema gives a default the workflow must read here too, or `npm run typecheck` fails.
 */
export function checkSweepInput(input: unknown, floors: Limits = limits()): SweepSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput('invalid sweep input: expected an object with an identifier');
  }
  const fields = input as Record<string, unknown>;
  // Sweeps take no instructions from whoever starts them; failing says so, where ignoring would not.
  if ('prompt' in fields) throw invalidInput(`sweep input has a prompt: ${NO_PROMPT_RULE}`);
  const duration = (name: string, fallback: string, maxMs = Infinity, minMs = 0) =>
    parseDuration(name, fields[name] ?? fallback, maxMs, minMs);
  return {
    identifier: checkIdentifier(fields.identifier),
    reauthTimeout: duration('reauthTimeout', DEFAULT_REAUTH_TIMEOUT, MAX_REAUTH_TIMEOUT_MS),
    sessionTimeout: duration('sessionTimeout', DEFAULT_SESSION_TIMEOUT, MAX_SESSION_TIMEOUT_MS),
    maxEmails: checkMaxEmails(fields.maxEmails ?? DEFAULT_MAX_EMAILS),
    eventForEveryEmail: fields.eventForEveryEmail === true,
    recheckEvery: duration('recheckEvery', DEFAULT_RECHECK_EVERY, Infinity, floors.minRecheckEveryMs),
    remindEvery: duration('remindEvery', DEFAULT_REMIND_EVERY, Infinity, floors.minRemindEveryMs),
    approvalTimeout: duration('approvalTimeout', DEFAULT_APPROVAL_TIMEOUT, MAX_APPROVAL_TIMEOUT_MS),
  };
}

function checkMaxEmails(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_MAX_EMAILS) {
    throw invalidInput(`invalid maxEmails ${show(value)}: expected 1-${MAX_MAX_EMAILS}`);
  }
  return value;
}
