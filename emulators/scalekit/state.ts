import { randomBytes } from 'node:crypto';
import { HttpError } from '../common/http.js';

export const ACCOUNT_STATUSES = ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** The connections configured in the emulated environment (the dashboard's "Connection Name" column). */
export const CONNECTIONS = {
  gmail: { id: 'conn_gmail_emulator', provider: 'GMAIL' },
  googlecalendar: { id: 'conn_googlecalendar_emulator', provider: 'GOOGLECALENDAR' },
} as const;
export type ConnectionName = keyof typeof CONNECTIONS;

export function connectionNamed(name: string): ConnectionName {
  if (!Object.hasOwn(CONNECTIONS, name)) {
    throw new HttpError(404, `connection ${name} not found`, 'CONNECTION_NOT_FOUND');
  }
  return name as ConnectionName;
}

export interface Account {
  id: string;
  identifier: string;
  connection: ConnectionName;
  status: AccountStatus;
  updatedAt: Date;
}

export interface SeedEmail {
  from: string;
  subject: string;
  body: string;
  /** Default true. */
  unread?: boolean;
  receivedAt?: Date | string;
  to?: string;
  /** Extra headers, e.g. `List-Unsubscribe` on bulk mail. */
  headers?: Record<string, string>;
}

export interface StoredEmail {
  id: string;
  threadId: string;
  from: string;
  to: string;
  subject: string;
  body: string;
  unread: boolean;
  receivedAt: Date;
  headers: Record<string, string>;
}

export interface CalendarEvent {
  id: string;
  calendarId: string;
  summary: string;
  description?: string;
  location?: string;
  /** RFC 3339. */
  start: string;
  /** RFC 3339. */
  end: string;
  timeZone?: string;
  attendees: string[];
  status: 'confirmed';
  created: string;
  updated: string;
}

export interface ToolMapping {
  connectionName: ConnectionName;
  /** Empty means every tool of the connection. */
  tools: string[];
}

export interface McpConfig {
  id: string;
  name: string;
  description: string;
  serverId: string;
  mappings: ToolMapping[];
}

export interface MagicLink {
  id: string;
  identifier: string;
  connection: ConnectionName;
  state?: string;
  userVerifyUrl?: string;
  createdAt: Date;
  expiresAt: Date;
  used: boolean;
}

/** Opened when a magic link made with a `user_verify_url` is confirmed; closed by VerifyConnectedAccountUser. */
export interface AuthRequest {
  id: string;
  linkId: string;
  identifier: string;
  connection: ConnectionName;
  consumed: boolean;
}

/** The users' part of the state as JSON: what survives a restart of a persisted emulator. */
export interface UsersSnapshot {
  accounts: Array<Omit<Account, 'updatedAt'> & { updatedAt: string }>;
  mailboxes: Record<string, Array<Omit<StoredEmail, 'receivedAt'> & { receivedAt: string }>>;
  calendars: Record<string, CalendarEvent[]>;
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('hex')}`;

/** Everything the emulated environment remembers, in memory. */
export class ScalekitState {
  private accounts = new Map<string, Account>();
  private mailboxes = new Map<string, StoredEmail[]>();
  private calendars = new Map<string, CalendarEvent[]>();
  readonly configs = new Map<string, McpConfig>();
  readonly links = new Map<string, MagicLink>();
  readonly authRequests = new Map<string, AuthRequest>();

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.accounts.clear();
    this.mailboxes.clear();
    this.calendars.clear();
    this.configs.clear();
    this.links.clear();
    this.authRequests.clear();
  }

  account(identifier: string, connection: ConnectionName): Account | undefined {
    return this.accounts.get(accountKey(identifier, connection));
  }

  accountById(id: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.id === id);
  }

  allAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  createAccount(identifier: string, connection: ConnectionName, status: AccountStatus): Account {
    if (this.account(identifier, connection)) {
      throw new HttpError(409, `connected account for ${identifier} on ${connection} already exists`, 'ALREADY_EXISTS');
    }
    const account: Account = { id: newId('ca'), identifier, connection, status, updatedAt: new Date(this.now()) };
    this.accounts.set(accountKey(identifier, connection), account);
    return account;
  }

  setStatus(identifier: string, connection: ConnectionName, status: AccountStatus): Account {
    const account = this.account(identifier, connection);
    if (!account) return this.createAccount(identifier, connection, status);
    account.status = status;
    account.updatedAt = new Date(this.now());
    return account;
  }

  deleteAccount(account: Account): void {
    this.accounts.delete(accountKey(account.identifier, account.connection));
  }

  mailbox(identifier: string): StoredEmail[] {
    return getOrCreate(this.mailboxes, identifier);
  }

  addEmail(identifier: string, email: SeedEmail): StoredEmail {
    const id = randomBytes(8).toString('hex');
    const stored: StoredEmail = {
      id,
      threadId: id,
      from: email.from,
      to: email.to ?? identifier,
      subject: email.subject,
      body: email.body,
      unread: email.unread ?? true,
      receivedAt: email.receivedAt === undefined ? new Date(this.now()) : new Date(email.receivedAt),
      headers: { ...email.headers },
    };
    this.mailbox(identifier).push(stored);
    return stored;
  }

  calendar(identifier: string): CalendarEvent[] {
    return getOrCreate(this.calendars, identifier);
  }

  /** Every user's accounts, mail and calendar (not configs, links or tokens), as plain JSON. */
  users(): UsersSnapshot {
    return {
      accounts: this.allAccounts().map((a) => ({ ...a, updatedAt: a.updatedAt.toISOString() })),
      mailboxes: Object.fromEntries(
        [...this.mailboxes].map(([id, mails]) => [
          id,
          mails.map((m) => ({ ...m, receivedAt: m.receivedAt.toISOString(), headers: { ...m.headers } })),
        ]),
      ),
      calendars: Object.fromEntries([...this.calendars].map(([id, events]) => [id, events.map((e) => ({ ...e }))])),
    };
  }

  /** Adds the users of a snapshot (theirs replace any of the same identifier). */
  restoreUsers(snapshot: UsersSnapshot): void {
    for (const a of snapshot.accounts) {
      this.accounts.set(accountKey(a.identifier, a.connection), { ...a, updatedAt: new Date(a.updatedAt) });
    }
    for (const [id, mails] of Object.entries(snapshot.mailboxes)) {
      this.mailboxes.set(
        id,
        mails.map((m) => ({ ...m, receivedAt: new Date(m.receivedAt) })),
      );
    }
    for (const [id, events] of Object.entries(snapshot.calendars)) this.calendars.set(id, [...events]);
  }

  /** Forgets one user's accounts, mail and calendar. */
  forgetUser(identifier: string): void {
    for (const a of this.allAccounts()) if (a.identifier === identifier) this.deleteAccount(a);
    this.mailboxes.delete(identifier);
    this.calendars.delete(identifier);
  }

  findConfigByServerId(serverId: string): McpConfig | undefined {
    return [...this.configs.values()].find((c) => c.serverId === serverId);
  }
}

const accountKey = (identifier: string, connection: string): string => `${connection}\u0000${identifier}`;

function getOrCreate<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}
