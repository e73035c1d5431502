import type { ServerResponse } from 'node:http';
import { escapeHtml, PAGE_HEADERS, pageHtml, type PageTone } from '../common/page.js';

/** A form that POSTs back to `action`: one button, and a free-text reason when asked for. */
export interface PageForm {
  action: string;
  submit: string;
  reason?: string;
}

/** Plain pages for the person who just consented: no scripts, nothing to load, nothing to leak. */
export function page(
  res: ServerResponse,
  status: number,
  title: string,
  paragraphs: string[],
  form?: PageForm,
  options: { tone?: PageTone; headers?: Record<string, string> } = {},
): void {
  const tone = options.tone ?? (status < 300 ? 'ok' : status < 500 ? 'warn' : 'bad');
  const fields = form
    ? `<form method="post" action="${escapeHtml(form.action)}">${form.reason ? `<p><label>${escapeHtml(form.reason)} <input name="reason" maxlength="500"></label></p>` : ''}<button type="submit">${escapeHtml(form.submit)}</button></form>`
    : '';
  const body = paragraphs.map((p, i) => `<p${i > 0 ? ' class="muted"' : ''}>${escapeHtml(p)}</p>`).join('') + fields;
  res.writeHead(status, { ...PAGE_HEADERS, ...options.headers });
  res.end(pageHtml(title, body, tone));
}

/** A refusal page, and what the callback reports for it. */
export function refuse(
  res: ServerResponse,
  status: number,
  title: string,
  text: string[],
  headers?: Record<string, string>,
) {
  page(res, status, title, text, undefined, { headers });
  return { result: 'rejected' as const, status, reason: title };
}
