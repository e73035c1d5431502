import type { Response } from 'express';
import type { FaultDecision } from '../../common/control.js';
import { queryList } from '../query.js';
import { param, type RouteContext } from './context.js';

/** An SSE frame; the SDK drops frames that have no `event:` line. */
function frame(res: Response, type: string, data: unknown, flushed?: () => void): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`, flushed);
}

const CUT_GRACE_MS = 50;

/**
 * The error frame the SDK raises on (src/core/streaming.ts: `event: error` becomes an `APIError` with
 * the body's `error.type`), in the body shape of the API's errors. An overload is what a long-lived
 * stream most plausibly meets.
 */
function errorFrame(res: Response): void {
  const error = { type: 'overloaded_error', message: 'Overloaded' };
  res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`);
}

/**
 * `GET …/events/stream`: live events only (no replay), `event: ping` heartbeats while idle, optional
 * `event_start`/`event_delta` previews of agent messages, and the `cutAfterEvents` and
 * `errorFrameAfterEvents` faults.
 */
export function registerStreamRoute({ on, store, heartbeatMs }: RouteContext): void {
  on('get', '/v1/sessions/:session_id/events/stream', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    const deltas = new Set(queryList(req, 'event_deltas'));
    const fault = res.locals.fault as FaultDecision | undefined;
    const cutAfter = fault?.cutAfterEvents;
    const errorAfter = fault?.errorFrameAfterEvents;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();

    let frames = 0;
    const heartbeat = setInterval(() => frame(res, 'ping', { type: 'ping' }), heartbeatMs);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    /**
     * Counts event frames for `cutAfterEvents`; at the limit the connection is dropped, not closed cleanly.
     * The drop waits a moment after the last frame is flushed: a fetch body that errors discards chunks
     * not yet read, and the client should see exactly the frames sent before the cut.
     */
    const send = (type: string, data: unknown): boolean => {
      frames += 1;
      if (errorAfter !== undefined && frames > errorAfter) {
        failWithErrorFrame();
        return false;
      }
      const cut = cutAfter !== undefined && frames >= cutAfter;
      frame(res, type, data, cut ? () => setTimeout(() => res.destroy(), CUT_GRACE_MS) : undefined);
      if (cut) stop();
      return !cut;
    };
    const unsubscribe = session.log.subscribe({
      event(event) {
        if (event.type === 'agent.message' && deltas.has('agent.message')) {
          if (!send('event_start', { type: 'event_start', event: { type: event.type, id: event.id } })) return;
          const blocks = Array.isArray(event.content) ? (event.content as Array<{ type: string; text?: string }>) : [];
          for (const [index, block] of blocks.entries()) {
            if (block.type !== 'text') continue;
            const delta = { type: 'content_delta', index, content: { type: 'text', text: block.text } };
            if (!send('event_delta', { type: 'event_delta', event_id: event.id, delta })) return;
          }
        }
        if (!send(event.type, event)) return;
        if (event.type === 'session.deleted') {
          stop();
          res.end();
        }
      },
      close() {
        stop();
        res.end();
      },
    });
    /** An error frame ends the stream cleanly: the client has been told what went wrong. */
    const failWithErrorFrame = () => {
      stop();
      errorFrame(res);
      res.end();
    };
    res.on('close', stop);
    if (errorAfter === 0) failWithErrorFrame();
    else if (cutAfter === 0) {
      stop();
      res.destroy();
    }
  });
}
