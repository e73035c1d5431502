import { z } from 'zod';
import { invalidRequest, stateConflict } from '../errors.js';
import type { SessionEvent } from '../events.js';
import { paginate } from '../pagination.js';
import { createdAtFilter, queryList, queryOrder } from '../query.js';
import type { SessionRecord } from '../store.js';
import { parseBody } from '../validation.js';
import { param, type RouteContext } from './context.js';

const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const sourced = z.looseObject({ type: z.string() });
const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  z.object({ type: z.literal('image'), source: sourced }),
  z.looseObject({ type: z.literal('document'), source: sourced }),
]);

export const userMessageSchema = z.object({ type: z.literal('user.message'), content: z.array(contentBlock).min(1) });

/** What a client may send. Custom tool results, self-hosted tool results and outcomes have nothing to answer here. */
const clientEventSchema = z.discriminatedUnion('type', [
  userMessageSchema,
  z.object({ type: z.literal('user.interrupt'), session_thread_id: z.string().nullish() }),
  z.object({
    type: z.literal('user.tool_confirmation'),
    tool_use_id: z.string().min(1),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().nullish(),
    session_thread_id: z.string().nullish(),
  }),
  z.object({ type: z.literal('system.message'), content: z.array(textBlock).min(1) }),
]);

type ClientEvent = z.output<typeof clientEventSchema>;

/** Logs the client's events (the echo every stream sees), then lets the session act on them, in order. */
export function acceptClientEvents(session: SessionRecord, events: ClientEvent[]): SessionEvent[] {
  return events.map((fields) => {
    const event = session.log.append(fields);
    session.runner.accept(event);
    return event;
  });
}

export function registerEventRoutes({ on, store, settings }: RouteContext): void {
  on('post', '/v1/sessions/:session_id/events', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    const { events } = parseBody(z.object({ events: z.array(clientEventSchema).min(1) }), req.body);
    // The API reference's error table: an event sent to an archived session is a 409.
    if (session.archived_at) throw stateConflict(`session ${session.id} is archived`);
    if (session.runner.terminated) throw invalidRequest(`session ${session.id} is terminated`);
    for (const event of events) {
      if (event.type === 'user.tool_confirmation' && !session.runner.awaitsConfirmation(event.tool_use_id)) {
        throw invalidRequest(`no tool use ${event.tool_use_id} is waiting for confirmation`);
      }
    }
    res.json({ data: acceptClientEvents(session, events) });
  });

  on('get', '/v1/sessions/:session_id/events', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    const types = new Set(queryList(req, 'types'));
    const inRange = createdAtFilter(req);
    const listed = (event: SessionEvent) =>
      settings.userMessagesListed === 'on_arrival' || event.type !== 'user.message' || event.processed_at !== null;
    const events = session.log.entries
      .filter(({ event, micros }) => (types.size === 0 || types.has(event.type)) && inRange(micros) && listed(event))
      .map(({ event }) => event);
    if (queryOrder(req, 'asc') === 'desc') events.reverse();
    const { data, next_page } = paginate(req, events, { default: 1000, max: 1000 });
    res.json({ data, next_page });
  });
}
