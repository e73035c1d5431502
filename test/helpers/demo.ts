import type { SeedEmail } from '@inbox-agent/emulators/scalekit';
import type { TestStack } from './stack.js';
import { uniqueName } from './temporal.js';

export const INVOICE_EMAIL: SeedEmail = {
  from: 'Dana Reyes <dana@acme.example>',
  subject: 'Q3 invoice needs approval by Friday',
  body:
    'Hi, the Q3 invoice from Northwind is attached and needs your approval by Friday. ' +
    'Finance cannot release the payment until it is signed. Please also confirm the new cost centre.',
};

/** A second request, for tests that need two proposals. */
export const CONTRACT_EMAIL: SeedEmail = {
  from: 'Lee Park <lee@northwind.example>',
  subject: 'Contract renewal: sign by the 15th',
  body: 'The renewal contract is ready for your signature; legal needs it back by the 15th.',
};

/** A fresh user with both connections set as given and one unread e-mail. */
export function seedUser(
  stack: TestStack,
  connections: { gmail?: 'ACTIVE' | 'EXPIRED'; googlecalendar?: 'ACTIVE' | 'EXPIRED' } = {},
  emails: SeedEmail[] = [INVOICE_EMAIL],
): string {
  const identifier = uniqueName('user');
  stack.emulators.scalekit.seedUser(identifier, {
    connections: { gmail: connections.gmail ?? 'ACTIVE', googlecalendar: connections.googlecalendar ?? 'ACTIVE' },
    emails,
  });
  return identifier;
}

export function vaultsOf(stack: TestStack, identifier: string) {
  return stack.emulators.agents.vaults().filter((v) => !v.archived && v.metadata.inbox_agent_identifier === identifier);
}

/** The tool calls of a sweep that books a new event: read, create (the worker looked for a duplicate). */
export const BOOKED = ['gmail_fetch_mails', 'googlecalendar_create_event'];
