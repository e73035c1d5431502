import { DefaultLogger, type LogEntry, type Logger, type LogLevel } from '@temporalio/worker';
import { z } from 'zod';
import { parseEnv } from '../common/env.js';

export const logFormats = ['json', 'text'] as const;
export type LogFormat = (typeof logFormats)[number];

export const logEnvSchema = z.object({
  INBOX_AGENT_LOG_FORMAT: z.enum(logFormats).optional(),
  INBOX_AGENT_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).optional(),
});

export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
}

/** JSON in production (NODE_ENV=production), readable text elsewhere; INFO unless told. */
export function logSettings(
  env: Record<string, string | undefined> = process.env,
  defaults: Partial<LogSettings> = {},
): LogSettings {
  const parsed = parseEnv(logEnvSchema, env, '');
  return {
    format: parsed.INBOX_AGENT_LOG_FORMAT ?? defaults.format ?? (env.NODE_ENV === 'production' ? 'json' : 'text'),
    level: parsed.INBOX_AGENT_LOG_LEVEL ?? defaults.level ?? 'INFO',
  };
}

const REDACTED = '[redacted]';
/** Keys whose values are secrets whatever they look like. */
const secretKey = /token|authorization|api[_-]?key|secret|password|cookie|credential|seal[_-]?key|codec[_-]?key/i;
/**
 * Values shaped like our secrets wherever they appear, even inside a message: JWTs (Scalekit
 * session tokens), bearer headers, Anthropic API keys. Hand-rolled because the few redaction
 * libraries work on key paths only, and an error message can carry a token under any key.
 */
const secretValue = [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g, /\bBearer\s+[\w.~+/=-]{8,}/gi, /\bsk-ant-[\w-]{8,}/g];

export function redactText(text: string): string {
  return secretValue.reduce((out, re) => out.replace(re, REDACTED), text);
}

/** A copy of `value` with secret keys and secret-shaped strings replaced; errors become plain objects. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return redact({ name: value.name, message: value.message, stack: value.stack }, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = secretKey.test(key) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

const isoTime = (entry: LogEntry) => new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();

/** One JSON object per line: time, level, message, then the SDK's attributes (workflowId, runId, ...). */
export function jsonLine(entry: LogEntry): string {
  const meta = (redact(entry.meta ?? {}) ?? {}) as Record<string, unknown>;
  return JSON.stringify({ time: isoTime(entry), level: entry.level, message: redactText(entry.message), ...meta });
}

/** `time LEVEL message key=value ...` for a person at a terminal. */
export function textLine(entry: LogEntry): string {
  const meta = Object.entries((redact(entry.meta ?? {}) ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [isoTime(entry), entry.level.padEnd(5), redactText(entry.message), ...meta].join(' ');
}

/**
 * The logger for the Runtime (SDK, workflow and activity logs) and our own log calls. The SDK's
 * DefaultLogger does the level filtering and hands each entry to our formatter.
 */
export function createLogger(
  settings: LogSettings,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const format = settings.format === 'json' ? jsonLine : textLine;
  return new DefaultLogger(settings.level, (entry) => write(format(entry)));
}
