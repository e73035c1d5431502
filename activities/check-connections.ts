import type { ConnectionsReport } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import type { Provisioning } from './provisioning.js';

/**
 * The user's accounts for the Virtual MCP config. Asking with `include_auth_link` both creates the
 * accounts a first-time user lacks and gives fresh links for every inactive one; links expire within
 * minutes, so each carries the time it was made.
 */
export function createCheckConnections({ scalekit }: ActivityDeps, provisioning: Provisioning) {
  return async function checkConnections(identifier: string): Promise<ConnectionsReport> {
    const { mcpConfigId } = await provisioning.resolve();
    const accounts = await scalekit.listConfigAccounts(mcpConfigId, identifier, true);
    const checkedAt = new Date().toISOString();
    const connections = accounts.map((a) => {
      const active = a.connected_account_status === 'ACTIVE';
      return {
        connection: a.connection_name,
        status: a.connected_account_status || 'NOT_CONNECTED',
        ...(!active && a.authentication_link ? { authLink: a.authentication_link, linkCreatedAt: checkedAt } : {}),
      };
    });
    return {
      identifier,
      checkedAt,
      connections,
      inactive: connections.filter((c) => c.status !== 'ACTIVE').map((c) => c.connection),
    };
  };
}
