import type { Request } from 'express';

/** A named path segment; express 5 types params as `string | string[]` because of wildcards, which these routes lack. */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}
