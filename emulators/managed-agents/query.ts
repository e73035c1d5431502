import type { Request } from 'express';
import { parseTimestamp } from './clock.js';
import { invalidRequest } from './errors.js';

type Query = Record<string, unknown>;

function raw(req: Request): Query {
  return req.query as Query;
}

function single(req: Request, name: string): string | undefined {
  const value = raw(req)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${name}: expected a single value`);
  return value;
}

/** The SDK sends arrays as `name[]=a&name[]=b` (percent-encoded); also accept `name=a` and `name[0]=a`. */
export function queryList(req: Request, name: string): string[] {
  const values: string[] = [];
  for (const [key, value] of Object.entries(raw(req))) {
    if (key !== name && key !== `${name}[]` && !new RegExp(`^${name}\\[\\d+\\]$`).test(key)) continue;
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string') values.push(item);
  }
  return values;
}

export function queryString(req: Request, name: string): string | undefined {
  return single(req, name);
}

export function queryBool(req: Request, name: string): boolean | undefined {
  const value = single(req, name);
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidRequest(`${name}: expected true or false`);
}

export function queryInt(req: Request, name: string, min: number, max: number): number | undefined {
  const value = single(req, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidRequest(`${name}: expected an integer in [${min}, ${max}]`);
  return n;
}

export function queryOrder(req: Request, fallback: 'asc' | 'desc'): 'asc' | 'desc' {
  const value = single(req, 'order') ?? fallback;
  if (value !== 'asc' && value !== 'desc') throw invalidRequest('order: expected asc or desc');
  return value;
}

/** `created_at[gt|gte|lt|lte]` as a predicate over a timestamp in microseconds. */
export function createdAtFilter(req: Request): (micros: number) => boolean {
  const bound = (op: string): number | undefined => {
    const value = single(req, `created_at[${op}]`);
    if (value === undefined) return undefined;
    const micros = parseTimestamp(value);
    if (micros === undefined) throw invalidRequest(`created_at[${op}]: expected an RFC 3339 timestamp`);
    return micros;
  };
  const gt = bound('gt');
  const gte = bound('gte');
  const lt = bound('lt');
  const lte = bound('lte');
  return (t) =>
    (gt === undefined || t > gt) &&
    (gte === undefined || t >= gte) &&
    (lt === undefined || t < lt) &&
    (lte === undefined || t <= lte);
}
