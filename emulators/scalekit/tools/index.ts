import { createEvent, getEventById, listCalendars, listEvents, updateEvent } from './calendar.js';
import type { Tool } from './define.js';
import { gmailFetchMails } from './gmail.js';

/** Every tool the emulated environment offers, by Scalekit tool name. */
export const TOOLS: readonly Tool[] = [
  gmailFetchMails,
  listCalendars,
  listEvents,
  getEventById,
  createEvent,
  updateEvent,
];
