import type { Express, Response } from 'express';
import { HttpError, route, type ErrorWriter } from '../common/http.js';
import type { Context } from './context.js';
import { pathParam } from './request.js';
import { newId, type Account, type ConnectionName, type MagicLink } from './state.js';

export interface LinkRequest {
  identifier: string;
  connection: ConnectionName;
  state?: string;
  userVerifyUrl?: string;
}

export const magicLinkUrl = (ctx: Context, link: MagicLink): string => `${ctx.url}/magic/${link.id}`;

/** A fresh single-use link; like the real service it creates the account (PENDING_AUTH) if there is none. */
export function issueMagicLink(ctx: Context, request: LinkRequest): { link: MagicLink; account: Account } {
  const account =
    ctx.state.account(request.identifier, request.connection) ??
    ctx.state.createAccount(request.identifier, request.connection, 'PENDING_AUTH');
  const createdAt = new Date(ctx.now());
  const link: MagicLink = {
    ...request,
    id: newId('ml'),
    createdAt,
    expiresAt: new Date(createdAt.getTime() + ctx.magicLinkTtlMs),
    used: false,
  };
  ctx.state.links.set(link.id, link);
  return { link, account };
}

/** The page behind `post_user_verify_redirect_url`. */
export const doneUrl = (ctx: Context, linkId: string): string => `${ctx.url}/magic/${linkId}/done`;

/** Stands in for the provider's OAuth consent screen: one click connects the account. */
export function mountMagicLinkRoutes(app: Express, ctx: Context): void {
  route(app, ctx.control, writeHtmlError, 'get', '/magic/:link_id', (req, res) => {
    const link = usableLink(ctx, pathParam(req, 'link_id'));
    page(
      res,
      200,
      `Connect ${link.connection}`,
      `<p>Allow the agent to use <b>${escape(link.connection)}</b> for <b>${escape(link.identifier)}</b>?</p>
<form method="post" action="/magic/${link.id}/confirm"><button type="submit">Allow</button></form>`,
    );
  });

  route(app, ctx.control, writeHtmlError, 'post', '/magic/:link_id/confirm', (req, res) => {
    const link = usableLink(ctx, pathParam(req, 'link_id'));
    link.used = true;
    if (link.userVerifyUrl === undefined) {
      if (ctx.userVerification === 'custom') {
        // Documented: in Custom user verification mode a flow started without user_verify_url fails
        // with failed_to_exchange. The page, its status and that the account stays PENDING_AUTH are
        // assumptions (no public source shows them).
        throw new HttpError(400, 'failed_to_exchange: user_verify_url not configured for verification redirect');
      }
      // "Scalekit users only": Scalekit checks the person against its dashboard session. Assumed: the
      // person clicking is signed in to the dashboard (the emulator has no dashboard to sign in to).
      ctx.state.setStatus(link.identifier, link.connection, 'ACTIVE');
      connectedPage(res, link);
      return;
    }
    ctx.state.setStatus(link.identifier, link.connection, 'PENDING_VERIFICATION');
    const authRequestId = newId('ar');
    ctx.state.authRequests.set(authRequestId, {
      id: authRequestId,
      linkId: link.id,
      identifier: link.identifier,
      connection: link.connection,
      consumed: false,
    });
    const target = new URL(link.userVerifyUrl);
    target.searchParams.set('auth_request_id', authRequestId);
    if (link.state !== undefined) target.searchParams.set('state', link.state);
    res.redirect(302, target.toString());
  });

  route(app, ctx.control, writeHtmlError, 'get', '/magic/:link_id/done', (req, res) => {
    const link = ctx.state.links.get(pathParam(req, 'link_id'));
    if (!link || ctx.state.account(link.identifier, link.connection)?.status !== 'ACTIVE') {
      throw new HttpError(404, 'No connected account for this link.');
    }
    connectedPage(res, link);
  });
}

function usableLink(ctx: Context, id: string): MagicLink {
  const link = ctx.state.links.get(id);
  if (!link) throw new HttpError(404, 'This link does not exist.');
  if (link.used) throw new HttpError(410, 'This link was already used. Ask for a new one.');
  if (link.expiresAt.getTime() <= ctx.now()) throw new HttpError(410, 'This link has expired. Ask for a new one.');
  return link;
}

function connectedPage(res: Response, link: MagicLink): void {
  page(res, 200, 'Connected', `<p>${escape(link.connection)} is connected for ${escape(link.identifier)}.</p>`);
}

const writeHtmlError: ErrorWriter = (res, status, message) => page(res, status, `Error ${status}`, escape(message));

/**
 * The emulated provider's own small look (it stands in for another site than ours): readable on a
 * phone, light and dark, a large Allow button with a visible focus ring; inline, nothing fetched.
 */
const STYLE = `:root{color-scheme:light dark}body{margin:0;min-height:100vh;display:grid;place-items:center;font:1.0625rem/1.5 system-ui,sans-serif;background:Canvas;color:CanvasText;padding:1rem}
main{max-width:30rem;width:100%;border:1px solid GrayText;border-radius:10px;padding:1.5rem}h1{font-size:1.4rem;margin:0 0 .75rem}
button{font:inherit;font-weight:600;min-height:44px;padding:.6rem 1.6rem;border:0;border-radius:6px;background:#1a73e8;color:#fff;cursor:pointer}button:focus-visible{outline:3px solid #1a73e8;outline-offset:3px}`;

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`,
    );
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
