import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { withMcp } from './apis/mcp.js';
import { ScalekitApiError } from './apis/scalekit.js';
import {
  agentDefinition,
  DEFINITION_DIGEST_KEY,
  enabledTools,
  grantedToolNames,
  mcpConfigDefinition,
  sameMappings,
  wantedTools,
} from './definitions.js';
import type { ActivityDeps } from './deps.js';
import { httpFacts } from './failures.js';
import { Mailbox } from './mailbox.js';
import { checkDeclarations, ToolCatalog, type ToolNames } from './tool-catalog.js';
import type { DoctorInput, DoctorRow } from '../workflows/contract.js';
import { consentReconcilerScheduleId, RECONCILE_EVERY } from '../consent/reconciler.js';

const pass = (check: string, found: string): DoctorRow => ({ check, status: 'PASS', found });
const warn = (check: string, found: string, fix: string): DoctorRow => ({ check, status: 'WARN', found, fix });
const fail = (check: string, found: string, fix: string): DoctorRow => ({ check, status: 'FAIL', found, fix });

/** One line for what went wrong: status and type for API answers, the failure's own message otherwise. */
function describe(err: unknown): string {
  const http = httpFacts(err);
  if (http) return http.message;
  return err instanceof Error ? err.message : String(err);
}
const statusOf = (err: unknown): number | undefined => httpFacts(err)?.status;

/**
 * The callback's identity source (docs/consent.md, "Who is signed in"): which one it uses, and whether
 * it can sign anyone in now (OIDC: the provider's discovery document answers the callback).
 */
async function identityRow(url: URL): Promise<DoctorRow> {
  const check = 'Callback identity source';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) {
      return warn(check, 'the callback does not say (an older version)', 'deploy the callback of this release');
    }
    const health = (await res.json()) as { source?: string; ok?: boolean; problem?: string };
    if (res.ok && health.ok) return pass(check, `${health.source}; reachable`);
    return fail(
      check,
      `${health.source ?? 'unknown'}: ${health.problem ?? `answered ${res.status}`}`,
      health.source?.startsWith('OIDC')
        ? 'check INBOX_AGENT_OIDC_ISSUER on the callback and that the provider answers from the callback host'
        : 'check the callback identity settings (INBOX_AGENT_CALLBACK_IDENTITY and its variables)',
    );
  } catch (err) {
    return fail(
      check,
      `${url.href}: ${describe(err)}`,
      'check that the callback answers where INBOX_AGENT_CALLBACK_URL points',
    );
  }
}

/** The deployment's consent reconciler schedule (consent/reconciler.ts), which `setup` creates. */
async function reconcilerRow(deps: ActivityDeps): Promise<DoctorRow | undefined> {
  let taskQueue: string;
  try {
    taskQueue = Context.current().info.taskQueue;
  } catch {
    return undefined; // not run as an activity (unit tests): no task queue to look for
  }
  if (!deps.schedules) return undefined;
  const check = 'Consent reconciler';
  try {
    const { state } = await deps.schedules.getHandle(consentReconcilerScheduleId(taskQueue)).describe();
    if (state.paused) {
      return warn(
        check,
        `paused${state.note ? `: ${state.note}` : ''}`,
        'unpause it once the pause is no longer needed',
      );
    }
    return pass(check, `every ${RECONCILE_EVERY}: schedules paused for consent are unpaused once the user consents`);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) return fail(check, describe(err), 'check that Temporal answers');
    return warn(
      check,
      `no schedule ${consentReconcilerScheduleId(taskQueue)}: a schedule paused for consent waits for the callback`,
      'run setup (inbox-agent setup)',
    );
  }
}

/**
 * The checks of a live deployment that need the worker's credentials: Scalekit, the Virtual MCP
 * server's declarations, Anthropic's environment and agent, and (for one identifier) that user's
 * connections and one read through the same schemas the sweeps use. Each gives one row; nothing here
 * throws for a failed check, and nothing changes anything (no setup, no consent links).
 */
export function createDoctor(deps: ActivityDeps) {
  const { scalekit, managedAgents, settings } = deps;

  return async function doctorServices(input: DoctorInput = {}): Promise<DoctorRow[]> {
    const rows: DoctorRow[] = [
      // The worker refuses to start with a missing key or a seal key shared with the codec (worker/config.ts).
      pass('Codec and seal keys', 'present and distinct (checked when the worker started)'),
    ];

    try {
      await deps.state.handledAmong('inbox-agent-doctor', ['probe']);
      rows.push(pass('State database', 'reachable; migrations applied when the worker opened it'));
    } catch (err) {
      rows.push(fail('State database', describe(err), 'check INBOX_AGENT_DATABASE_URL and that the database is up'));
    }

    if (!deps.consent) {
      rows.push(
        warn(
          'Consent callback',
          'INBOX_AGENT_CALLBACK_URL is not set: links carry no user verification',
          "deploy the callback (npm run callback) and set INBOX_AGENT_CALLBACK_URL and INBOX_AGENT_CONSENT_KEY: Scalekit's production mode (Custom user verification) needs it",
        ),
      );
    } else {
      const base = deps.consent.callbackUrl;
      const health = new URL('healthz', base.endsWith('/') ? base : `${base}/`);
      try {
        const res = await fetch(health, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`answered ${res.status}`);
        rows.push(pass('Consent callback', `${health.origin} answers; links verify the user through it`));
        rows.push(await identityRow(new URL('healthz/identity', health)));
      } catch (err) {
        rows.push(
          fail(
            'Consent callback',
            `${health.href}: ${describe(err)}`,
            'start the callback (npm run callback) where INBOX_AGENT_CALLBACK_URL points',
          ),
        );
      }
    }

    const reconciler = await reconcilerRow(deps);
    if (reconciler) rows.push(reconciler);

    // Scalekit: credentials and the Virtual MCP config.
    let config: Awaited<ReturnType<typeof scalekit.findConfigByName>>;
    try {
      config = await scalekit.findConfigByName(settings.mcpConfigName);
      rows.push(pass('Scalekit credentials', 'client-credentials token accepted'));
    } catch (err) {
      const rejected = statusOf(err) === 401 || (err instanceof ScalekitApiError && err.status === 400);
      rows.push(
        fail(
          'Scalekit credentials',
          describe(err),
          rejected
            ? 'check SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET (Scalekit dashboard → Developers → API credentials)'
            : 'check SCALEKIT_ENV_URL and that the environment is reachable from the worker',
        ),
      );
    }
    const wanted = mcpConfigDefinition(settings.mcpConfigName);
    if (config) {
      if (!config.mcp_server_url) {
        rows.push(
          fail(
            'Virtual MCP config',
            `${config.id} has no mcp_server_url`,
            'ask Scalekit to enable the MCP config server URL feature',
          ),
        );
      } else if (!sameMappings(config.connection_tool_mappings, wanted.connection_tool_mappings)) {
        rows.push(fail('Virtual MCP config', `${config.name} maps other tools than a sweep needs`, 'run setup'));
      } else {
        rows.push(
          pass('Virtual MCP config', `${config.name} (${config.id}) maps gmail and googlecalendar as setup defines`),
        );
      }
    } else if (!rows.some((r) => r.status === 'FAIL')) {
      rows.push(
        fail('Virtual MCP config', `no config named ${settings.mcpConfigName}`, 'run setup (inbox-agent setup)'),
      );
    }

    // Anthropic: key, environment networking, agent.
    let keyOk = true;
    try {
      const environment = await managedAgents.retrieveEnvironment(settings.environmentId);
      rows.push(pass('Anthropic API key', 'accepted'));
      if (!environment) {
        rows.push(
          fail(
            'Anthropic environment',
            `no environment ${settings.environmentId}`,
            'set ANTHROPIC_ENVIRONMENT_ID to an existing environment',
          ),
        );
      } else if (environment.archived_at) {
        rows.push(
          fail(
            'Anthropic environment',
            `${environment.id} is archived`,
            'create an environment and set ANTHROPIC_ENVIRONMENT_ID',
          ),
        );
      } else if (
        environment.config.type === 'cloud' &&
        environment.config.networking.type === 'limited' &&
        !environment.config.networking.allow_mcp_servers
      ) {
        rows.push(
          fail(
            'Anthropic environment',
            `${environment.id} has limited networking without allow_mcp_servers: sessions cannot reach the MCP server`,
            `update the environment: config.networking.allow_mcp_servers = true (or unrestricted networking)`,
          ),
        );
      } else {
        const networking =
          environment.config.type === 'cloud' ? environment.config.networking.type : environment.config.type;
        rows.push(pass('Anthropic environment', `${environment.id}: ${networking} networking reaches MCP servers`));
      }
    } catch (err) {
      keyOk = false;
      rows.push(
        fail(
          'Anthropic API key',
          describe(err),
          statusOf(err) === 401 || statusOf(err) === 403
            ? 'check ANTHROPIC_API_KEY'
            : 'check ANTHROPIC_BASE_URL and the network',
        ),
      );
    }

    let agentNames: ToolNames | undefined;
    if (keyOk) {
      try {
        let agent;
        for await (const a of managedAgents.listAgents())
          if (a.name === settings.agentName && !a.archived_at) agent = a;
        if (!agent) {
          rows.push(fail('Agent', `no agent named "${settings.agentName}"`, 'run setup (inbox-agent setup)'));
        } else {
          const granted = enabledTools(agent.tools);
          agentNames = grantedToolNames(granted);
          const expected =
            config?.mcp_server_url && agentNames
              ? agentDefinition(settings.agentName, settings.model, config.mcp_server_url, agentNames).digest
              : undefined;
          if (!agentNames) {
            rows.push(
              fail(
                'Agent',
                `"${agent.name}" v${agent.version} grants ${granted.join(', ') || 'no tools'}`,
                'run setup: it grants exactly the sweep tools',
              ),
            );
          } else if (expected && agent.metadata?.[DEFINITION_DIGEST_KEY] !== expected) {
            rows.push(
              fail('Agent', `"${agent.name}" v${agent.version} differs from the definition setup makes`, 'run setup'),
            );
          } else {
            rows.push(
              pass(
                'Agent',
                `"${agent.name}" v${agent.version} (${agent.id}) grants exactly ${wantedTools(agentNames).length} tools`,
              ),
            );
          }
        }
      } catch (err) {
        rows.push(fail('Agent', describe(err), 'check ANTHROPIC_API_KEY'));
      }
    }

    // One user: connections, the server's declarations, and (with `read`) one read through the schemas.
    if (!input.identifier) {
      rows.push(
        warn(
          'MCP tools/list',
          'not read: it needs a session token for a connected user',
          'run doctor --identifier <a connected user>',
        ),
      );
      return rows;
    }
    if (!config?.mcp_server_url) return rows;
    const who = input.identifier;
    let accounts;
    try {
      accounts = await scalekit.listConfigAccounts(config.id, who, false);
    } catch (err) {
      rows.push(fail(`Connections of ${who}`, describe(err), 'check the identifier'));
      return rows;
    }
    const inactive = accounts.filter((a) => a.connected_account_status !== 'ACTIVE');
    const list = accounts.map((a) => `${a.connection_name} ${a.connected_account_status || 'none'}`).join(', ');
    if (inactive.length > 0) {
      rows.push(fail(`Connections of ${who}`, list, `the user consents: inbox-agent connections ${who}`));
      return rows;
    }
    rows.push(pass(`Connections of ${who}`, list));

    let token: string;
    try {
      token = (await scalekit.createSessionToken(config.id, who, 120)).token;
    } catch (err) {
      rows.push(fail('MCP session token', describe(err), 'check the connections above and the config mappings'));
      return rows;
    }
    const catalog = new ToolCatalog();
    try {
      await withMcp(config.mcp_server_url, token, async (mcp) => {
        const declared = checkDeclarations(await mcp.listTools());
        if (!declared.names) {
          rows.push(
            fail(
              'MCP tools/list',
              declared.problems.join('; '),
              'the product needs these tools and fields: report it, or map the tools in the config',
            ),
          );
          return;
        }
        const names = Object.values(declared.names).join(', ');
        if (declared.notes.length > 0)
          rows.push(
            warn('MCP tools/list', `${names}; ${declared.notes.join('; ')}`, 'run doctor --read to check the outputs'),
          );
        else rows.push(pass('MCP tools/list', `${names}; inputs and outputs declare every field used`));
        if (agentNames && JSON.stringify(agentNames) !== JSON.stringify(declared.names)) {
          rows.push(
            fail(
              'Agent tool names',
              `the agent grants ${Object.values(agentNames).join(', ')}`,
              'run one sweep or setup after it: the agent adopts the names tools/list gives',
            ),
          );
        }
        if (!input.read) return;
        const mailbox = new Mailbox(mcp, await catalog.learn(mcp));
        try {
          const scan = await mailbox.unread();
          await mailbox.eventFor(scan.messages[0]?.id ?? 'doctor-probe');
          rows.push(
            pass(
              'One read through MCP',
              `${scan.messages.length} unread parsed${scan.capped ? ' (scan bound reached)' : ''}; one marker lookup parsed`,
            ),
          );
        } catch (err) {
          rows.push(
            fail(
              'One read through MCP',
              describe(err),
              err instanceof ApplicationFailure && err.type
                ? `${err.type}: the tool answered in a shape the product does not read`
                : 'retry; check the connections',
            ),
          );
        }
      });
    } catch (err) {
      rows.push(fail('MCP tools/list', describe(err), 'check the config URL and that the session token is accepted'));
    }
    return rows;
  };
}
