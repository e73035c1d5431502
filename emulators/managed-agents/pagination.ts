import type { Request } from 'express';
import { invalidRequest } from './errors.js';
import { queryInt, queryString } from './query.js';

export interface Page<T> {
  data: T[];
  next_page: string | null;
  prev_page: string | null;
}

interface Cursor {
  dir: 'next' | 'prev';
  id: string;
}

const encode = (cursor: Cursor): string => `page_${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`;

function decode(page: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(page.replace(/^page_/, ''), 'base64url').toString()) as Cursor;
    if ((cursor.dir === 'next' || cursor.dir === 'prev') && typeof cursor.id === 'string') return cursor;
  } catch {
    // fall through to the error below
  }
  throw invalidRequest('page: invalid cursor');
}

/**
 * Cursors name the item they continue from (not an offset), so a list that grows while a client pages
 * through it (an event log in `desc` order) neither repeats nor skips items.
 */
export function paginate<T>(
  req: Request,
  items: T[],
  limits: { default: number; max: number },
  keyOf: (item: T) => string = (item) => (item as { id: string }).id,
): Page<T> {
  const limit = queryInt(req, 'limit', 1, limits.max) ?? limits.default;
  const page = queryString(req, 'page');
  let start = 0;
  let end = limit;
  if (page) {
    const cursor = decode(page);
    const index = items.findIndex((item) => keyOf(item) === cursor.id);
    if (index < 0) throw invalidRequest('page: cursor no longer matches this list');
    [start, end] = cursor.dir === 'next' ? [index + 1, index + 1 + limit] : [Math.max(0, index - limit), index];
  }
  const data = items.slice(start, end);
  const first = data[0];
  const last = data.at(-1);
  return {
    data,
    next_page:
      last !== undefined && start + data.length < items.length ? encode({ dir: 'next', id: keyOf(last) }) : null,
    prev_page: first !== undefined && start > 0 ? encode({ dir: 'prev', id: keyOf(first) }) : null,
  };
}
