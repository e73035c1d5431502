import { Context } from '@temporalio/activity';
import { WorkflowType, type ConnectionsReport, type ConnectionState } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import type { Provisioning } from './provisioning.js';

/**
 * The user-facing URL Scalekit sends the browser to after consent: the callback's verify route. It
 * names nobody: the callback takes the user from its own sign-in, the flow from `state`.
 */
export const userVerifyUrl = (callbackUrl: string): string =>
  new URL('verify', callbackUrl.endsWith('/') ? callbackUrl : `${callbackUrl}/`).href;

/**
 * The user's connections with a link made just now for each inactive one. Links live about a minute,
 * so every caller that shows one to a person (status, Web UI, reminders) gets it from here, fresh.
 */
export function createConnectionsReport(deps: ActivityDeps, provisioning: Provisioning) {
  const { scalekit, consent } = deps;
  return async function connectionsReport(identifier: string, waitingSweep?: string): Promise<ConnectionsReport> {
    const { mcpConfigId } = await provisioning.resolve();
    // The accounts of the Virtual MCP config stay on REST: `@scalekit-sdk/node` 2.11 has no McpService,
    // and this call is the one that names exactly the config's connections and (with include_auth_link)
    // creates the accounts a first-time user lacks. Its links carry no user_verify_url, so with a
    // callback deployed they are replaced by SDK links that do.
    const accounts = await scalekit.listConfigAccounts(mcpConfigId, identifier, true);
    const checkedAt = new Date().toISOString();
    const connections = await Promise.all(
      accounts.map(async (a): Promise<ConnectionState> => {
        const status = a.connected_account_status || 'NOT_CONNECTED';
        const connection = a.connection_name;
        if (status === 'ACTIVE') return { connection, status };
        if (consent) {
          // The verification flow, through the SDK: after consent Scalekit redirects the browser to our
          // callback with a signed, single-use state naming this user and connection.
          const state = await consent.state.sign({ identifier, connection });
          const link = await deps.connectedAccounts.authorizationLink({
            identifier,
            connection,
            userVerifyUrl: userVerifyUrl(consent.callbackUrl),
            state,
          });
          return { connection, status, authLink: link.url, linkCreatedAt: checkedAt, linkExpiresAt: link.expiresAt };
        }
        return {
          connection,
          status,
          ...(a.authentication_link ? { authLink: a.authentication_link, linkCreatedAt: checkedAt } : {}),
        };
      }),
    );
    return {
      identifier,
      checkedAt,
      connections,
      inactive: connections.filter((c) => c.status !== 'ACTIVE').map((c) => c.connection),
    };
  };
}

export type ConnectionsReporter = ReturnType<typeof createConnectionsReport>;

/** The sweep that runs this activity, so links made for it lead back to it. */
export function callingSweep(): string | undefined {
  if (!Context.current) return undefined;
  let info;
  try {
    info = Context.current().info;
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
  return info.workflowType === WorkflowType.inboxSweep ? info.workflowExecution?.workflowId : undefined;
}

export function createCheckConnections(report: ConnectionsReporter) {
  return async function checkConnections(identifier: string): Promise<ConnectionsReport> {
    return report(identifier, callingSweep());
  };
}

/**
 * `auth-links`: the report, plus which connections had no account before it (Scalekit's call with
 * `include_auth_link` creates missing accounts without saying so, so a read-only listing first tells
 * a new identifier, or a mistyped one, from a known user).
 */
export function createAuthLinks(deps: ActivityDeps, provisioning: Provisioning, report: ConnectionsReporter) {
  return async function authLinks(identifier: string): Promise<ConnectionsReport> {
    const { mcpConfigId } = await provisioning.resolve();
    const before = await deps.scalekit.listConfigAccounts(mcpConfigId, identifier, false);
    const missing = before.filter((a) => !a.connected_account_id).map((a) => a.connection_name);
    const connections = await report(identifier);
    return missing.length ? { ...connections, newAccounts: missing } : connections;
  };
}
