import type { ServerResponse } from 'node:http';

/** A form that POSTs back to `action`: one button, and a free-text reason when asked for. */
export interface PageForm {
  action: string;
  submit: string;
  reason?: string;
}

/** Plain pages for the person who just consented: no scripts, no styles to load, nothing to leak. */
export function page(res: ServerResponse, status: number, title: string, paragraphs: string[], form?: PageForm): void {
  const fields = form
    ? `<form method="post" action="${escape(form.action)}">${form.reason ? `<p><label>${escape(form.reason)} <input name="reason" maxlength="500"></label></p>` : ''}<button type="submit">${escape(form.submit)}</button></form>`
    : '';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${paragraphs.map((p) => `<p>${escape(p)}</p>`).join('')}${fields}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A refusal page, and what the callback reports for it. */
export function refuse(res: ServerResponse, status: number, title: string, text: string[]) {
  page(res, status, title, text);
  return { result: 'rejected' as const, status, reason: title };
}
