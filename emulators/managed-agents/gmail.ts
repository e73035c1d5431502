/**
 * Reads the newest email out of a `gmail_fetch_mails` result. Scalekit does not document the output,
 * so this accepts Gmail-API messages (`payload.headers`, base64url `body.data`, nested `parts`) as
 * well as flat `{from, subject, body}` objects, wrapped in `messages`/`emails`/`data` or not.
 */

export interface Email {
  /** The Gmail message id ('' when the tool gave none). */
  id: string;
  from: string;
  subject: string;
  body: string;
  /** Every header, names lower-cased. */
  headers: Record<string, string>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function messagesIn(value: unknown, depth = 0): Json[] {
  if (depth > 4) return [];
  if (Array.isArray(value)) return value.filter(isObject);
  if (!isObject(value)) return [];
  for (const key of ['messages', 'emails', 'mails', 'items', 'data', 'result']) {
    if (key in value) return messagesIn(value[key], depth + 1);
  }
  return 'payload' in value || 'subject' in value || 'snippet' in value ? [value] : [];
}

function headersOf(message: Json): Record<string, string> {
  const payload = isObject(message.payload) ? message.payload : {};
  const headers = Array.isArray(payload.headers)
    ? payload.headers
    : Array.isArray(message.headers)
      ? message.headers
      : [];
  const all: Record<string, string> = {};
  for (const h of headers) if (isObject(h) && str(h.name)) all[str(h.name).toLowerCase()] = str(h.value);
  return all;
}

function header(message: Json, name: string): string {
  return headersOf(message)[name.toLowerCase()] ?? '';
}

/** Gmail bodies are base64url; some tools hand back plain text in the same field. */
function decodeBody(data: string): string {
  if (!/^[A-Za-z0-9_\-+/]+=*$/.test(data)) return data;
  const decoded = Buffer.from(data, 'base64url').toString('utf8');
  const clean = !decoded.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(decoded);
  return clean ? decoded : data;
}

function partText(part: Json, mimeType: string): string {
  if (str(part.mimeType).startsWith(mimeType) && isObject(part.body) && str(part.body.data)) {
    return decodeBody(str(part.body.data));
  }
  for (const child of Array.isArray(part.parts) ? part.parts : []) {
    const text = isObject(child) ? partText(child, mimeType) : '';
    if (text) return text;
  }
  return '';
}

function bodyOf(message: Json): string {
  for (const key of ['body', 'text', 'plain_text', 'plainText', 'content']) {
    if (typeof message[key] === 'string' && message[key]) return message[key];
  }
  const payload = isObject(message.payload) ? message.payload : undefined;
  if (payload) {
    if (isObject(payload.body) && str(payload.body.data)) return decodeBody(str(payload.body.data));
    const plain = partText(payload, 'text/plain');
    if (plain) return plain;
    const html = partText(payload, 'text/html');
    if (html) return html.replace(/<[^>]+>/g, ' ');
  }
  return str(message.snippet);
}

function senderOf(message: Json): string {
  const from = message.from ?? message.sender;
  if (isObject(from)) return str(from.name) ? `${str(from.name)} <${str(from.email)}>` : str(from.email);
  return str(from) || header(message, 'From');
}

function toEmail(message: Json): Email {
  return {
    id: str(message.id),
    headers: headersOf(message),
    from: senderOf(message) || 'an unknown sender',
    subject: (str(message.subject) || header(message, 'Subject')).trim() || '(no subject)',
    body: bodyOf(message).trim(),
  };
}

function messagesOf(toolText: string): Json[] {
  try {
    return messagesIn(JSON.parse(toolText));
  } catch {
    return [];
  }
}

/** Every message of a listing, in the order given. */
export function parseEmails(toolText: string): Email[] {
  return messagesOf(toolText).map(toEmail);
}

/** Gmail lists newest first; `internalDate` (epoch ms) decides when present. */
export function parseNewestEmail(toolText: string): Email | undefined {
  const messages = messagesOf(toolText);
  const dated = messages.filter((m) => Number.isFinite(Number(m.internalDate)) && m.internalDate !== undefined);
  const newest =
    dated.length === messages.length && dated.length > 0
      ? dated.reduce((a, b) => (Number(b.internalDate) > Number(a.internalDate) ? b : a))
      : messages[0];
  return newest ? toEmail(newest) : undefined;
}
