import { createHash } from 'node:crypto';

/**
 * One small stylesheet for every page a person lands on (the callback's and the emulated consent
 * page): readable on a phone and a desktop, light and dark, large tap targets, visible focus. Inline,
 * so nothing is fetched; allowed by its hash in the CSP, so no other style or script can run.
 */
export const PAGE_STYLE = `:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--muted:#57606a;--accent:#0b57d0;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--card:#161b22;--muted:#9da7b3;--accent:#6ea8fe;--ok:#3fb950;--warn:#d29922;--bad:#f85149}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1rem}
main{width:100%;max-width:34rem;background:var(--card);border-radius:12px;padding:2rem 1.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06);border-top:6px solid var(--accent)}
main.ok{border-top-color:var(--ok)}main.warn{border-top-color:var(--warn)}main.bad{border-top-color:var(--bad)}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}p{margin:.5rem 0}.muted{color:var(--muted);font-size:.9375rem}
a,button{font:inherit}a{color:var(--accent)}
input{font:inherit;width:100%;padding:.6rem;border:1px solid var(--muted);border-radius:6px;background:var(--card);color:var(--fg)}
.button,button{display:inline-block;margin-top:1rem;padding:.7rem 1.4rem;min-height:44px;border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:600;text-decoration:none;cursor:pointer}
:focus-visible{outline:3px solid var(--accent);outline-offset:3px}`;

const STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`;

/** What the page says about the outcome: its accent colour, and for screen readers its role. */
export type PageTone = 'ok' | 'info' | 'warn' | 'bad';

/** The document, escaped; `bodyHtml` is trusted markup built by the caller from escaped parts. */
export function pageHtml(title: string, bodyHtml: string, tone: PageTone = 'info'): string {
  const role = tone === 'bad' || tone === 'warn' ? ' role="alert"' : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><main class="${tone}"${role}><h1>${escapeHtml(title)}</h1>${bodyHtml}</main></body></html>`;
}

/** Headers for every page: nothing loads, nothing is cached, no referrer carries the link's query on. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
