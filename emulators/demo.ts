import type { ScalekitEmulator } from './scalekit/index.js';

export const DEMO_READY = 'demo-alice';
export const DEMO_EXPIRED = 'demo-bob';
/** In approval mode `ask` (npm start sets it): her sweep proposes the event and waits for her decision. */
export const DEMO_ASKING = 'demo-carol';

/**
 * Three users for the quick start: one ready to sweep (a newsletter that needs no event and a request
 * that does), one whose Gmail consent has lapsed, one who approves her events herself.
 */
export function seedDemoUsers(scalekit: ScalekitEmulator): void {
  const hour = 3600_000;
  scalekit.seedUser(DEMO_READY, {
    connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
    emails: [
      {
        from: 'Newsletter <news@weekly.example>',
        subject: 'This week in gardening',
        body: 'Tomatoes love the sun. Water them in the morning.',
        receivedAt: new Date(Date.now() - 5 * hour),
        // What real bulk mail carries (RFC 2369, RFC 8058): the agent judges it needs no event.
        headers: {
          'List-Unsubscribe': '<mailto:unsubscribe@weekly.example>, <https://weekly.example/unsubscribe>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          Precedence: 'bulk',
        },
      },
      {
        from: 'Priya Natarajan <priya@northwind.example>',
        subject: 'Contract renewal: signature needed by Thursday',
        body:
          'Hi Alice, the Northwind support contract renews on the 1st and the updated terms are attached. ' +
          'Legal needs your signature by Thursday so the renewal is not delayed. ' +
          'The price stays the same, but the response time drops from 8 to 4 hours.',
        receivedAt: new Date(Date.now() - hour),
      },
    ],
  });
  scalekit.seedUser(DEMO_EXPIRED, {
    connections: { gmail: 'EXPIRED', googlecalendar: 'ACTIVE' },
    emails: [
      {
        from: 'Marco Rossi <marco@contoso.example>',
        subject: 'Board deck review before Monday',
        body:
          'Hi Bob, could you review the board deck before Monday? ' +
          'The revenue slide still shows last quarter and the hiring plan needs your numbers.',
      },
    ],
  });
  scalekit.seedUser(DEMO_ASKING, {
    connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
    emails: [
      {
        from: 'Dana Reyes <dana@acme.example>',
        subject: 'Q3 invoice needs approval by Friday',
        body:
          'Hi Carol, the Q3 invoice from Northwind is attached and needs your approval by Friday. ' +
          'Finance cannot release the payment until it is signed.',
      },
    ],
  });
}
