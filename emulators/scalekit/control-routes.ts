import express, { type Express } from 'express';
import { z } from 'zod';
import { controlCommand, mountControlRoutes } from '../common/http.js';
import type { ScalekitEmulator } from './index.js';
import { samplesSchema } from './samples.js';
import { ACCOUNT_STATUSES, CONNECTIONS, type ConnectionName } from './state.js';

const emailSchema = z.strictObject({
  from: z.string(),
  subject: z.string(),
  body: z.string(),
  unread: z.boolean().optional(),
  receivedAt: z.string().optional(),
  to: z.string().optional(),
  /** Kept as given (e.g. `List-Unsubscribe`, `Precedence: bulk`) and served in the message's headers. */
  headers: z.record(z.string(), z.string()).optional(),
});
const statusSchema = z.enum(ACCOUNT_STATUSES);
// Strict: a field the emulator does not know is a 400 naming it, never silently dropped.
const userSchema = z.strictObject({
  identifier: z.string().min(1),
  connections: z.partialRecord(z.enum(['gmail', 'googlecalendar'] satisfies ConnectionName[]), statusSchema).optional(),
  emails: z.array(emailSchema).optional(),
});

/** `/_emulator/...`: the common faults/counters/reset plus user seeding, for a standalone emulator process. */
export function mountEmulatorControlRoutes(app: Express, emulator: ScalekitEmulator): void {
  mountControlRoutes(app, emulator.control, () => emulator.reset());
  app.use('/_emulator', express.json());
  controlCommand(app, 'put', '/_emulator/samples', samplesSchema.partial(), (samples) => emulator.configure(samples));

  app.post('/_emulator/users', (req, res) => {
    const parsed = userSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.message });
      return;
    }
    const { identifier, ...seed } = parsed.data;
    emulator.seedUser(identifier, seed);
    res.status(204).end();
  });

  app.put('/_emulator/users/:identifier/connections/:connection', (req, res) => {
    const status = statusSchema.safeParse((req.body as { status?: unknown } | undefined)?.status);
    if (!status.success || !Object.hasOwn(CONNECTIONS, req.params.connection)) {
      res.status(400).json({ error: `body must be {status: ${ACCOUNT_STATUSES.join('|')}} for a known connection` });
      return;
    }
    emulator.setConnectionStatus(req.params.identifier, req.params.connection, status.data);
    res.status(204).end();
  });

  app.put('/_emulator/user-verification', (req, res) => {
    const mode = z.enum(['custom', 'dashboard']).safeParse((req.body as { mode?: unknown } | undefined)?.mode);
    if (!mode.success) {
      res.status(400).json({ error: 'body must be {mode: custom|dashboard}' });
      return;
    }
    emulator.userVerification = mode.data;
    res.status(204).end();
  });

  app.get('/_emulator/users/:identifier/calendar', (req, res) => {
    res.json(emulator.calendarEvents(req.params.identifier));
  });

  app.get('/_emulator/users/:identifier/emails', (req, res) => {
    res.json(emulator.emails(req.params.identifier));
  });
}
