import { unexpectedAnswer } from './apis/answers.js';
import type { DeclaredTool, McpSession } from './apis/mcp.js';

/**
 * The three Scalekit tools a sweep uses, by the names Scalekit documents for connection mappings
 * (evidence B7), with the fields the product sends them and reads from their outputs. What the
 * Virtual MCP server calls them in `tools/list` is undocumented (evidence A5), so the worker learns
 * it there and checks the declarations against these fields.
 */
export const TOOL_CONTRACT = {
  gmail_fetch_mails: {
    /** The worker sends all four (activities/mailbox.ts). */
    sends: ['query', 'max_results', 'format', 'page_token'],
    reads: ['messages', 'messages[].id', 'messages[].internalDate', 'messages[].payload.headers', 'nextPageToken'],
  },
  googlecalendar_list_events: {
    sends: ['query', 'max_results'],
    reads: ['items', 'items[].id', 'items[].description'],
  },
  googlecalendar_create_event: {
    /**
     * The agent sends these, and the worker too for an approved proposal (activities/approvals.ts);
     * the worker finds the event again by the marker in its description.
     */
    sends: ['summary', 'start_datetime', 'event_duration_minutes', 'description'],
    reads: [],
  },
} as const;

export type ToolBase = keyof typeof TOOL_CONTRACT;
export const TOOL_BASES = Object.keys(TOOL_CONTRACT) as ToolBase[];
/** The name the server uses for each tool. */
export type ToolNames = Record<ToolBase, string>;
export const DOCUMENTED_NAMES = Object.fromEntries(TOOL_BASES.map((b) => [b, b])) as ToolNames;

/**
 * The declared name for `base`: the exact name, else one name that ends with it after a separator
 * (`scalekit_gmail_fetch_mails`, `gmail.gmail_fetch_mails`, `sk__gmail_fetch_mails`).
 */
export function nameFor(base: string, declared: readonly string[]): { name?: string; problem?: string } {
  if (declared.includes(base)) return { name: base };
  const prefixed = declared.filter(
    (n) => n.length > base.length && n.endsWith(base) && /[._:/-]$/.test(n.slice(0, -base.length)),
  );
  if (prefixed.length === 1) return { name: prefixed[0] };
  if (prefixed.length > 1) return { problem: `${base} is offered under several names (${prefixed.join(', ')})` };
  return { problem: `no tool named ${base} (or prefixed …_${base}) among ${declared.length} declared` };
}

type JsonSchema = Record<string, unknown>;
const asSchema = (v: unknown): JsonSchema | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonSchema) : undefined;

/**
 * Whether a JSON Schema declares the field at `path` (`messages[].payload.headers`): `missing` when an
 * object along the way lists its properties without it, `open` when the schema says nothing there
 * (no properties listed), `declared` otherwise. `anyOf`/`oneOf`/`allOf` count if any branch declares it.
 */
export function declares(schema: unknown, path: string): 'declared' | 'missing' | 'open' {
  const steps = path.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), '[]'] : [part]));
  const walk = (node: JsonSchema | undefined, rest: string[]): 'declared' | 'missing' | 'open' => {
    if (!node) return 'open';
    if (rest.length === 0) return 'declared';
    const branches = ['anyOf', 'oneOf', 'allOf'].flatMap((k) => (Array.isArray(node[k]) ? (node[k] as unknown[]) : []));
    if (branches.length > 0) {
      const results = branches.map((b) => walk(asSchema(b), rest));
      if (results.includes('declared')) return 'declared';
      return results.includes('open') ? 'open' : 'missing';
    }
    const [step, ...tail] = rest as [string, ...string[]];
    if (step === '[]') return node.items === undefined ? 'open' : walk(asSchema(node.items), tail);
    const props = asSchema(node.properties);
    if (!props) return 'open';
    return step in props ? walk(asSchema(props[step]), tail) : 'missing';
  };
  return walk(asSchema(schema), steps);
}

export interface Declarations {
  /** Set when every tool was found, each under one name. */
  names?: ToolNames;
  /** What makes the server unusable: a missing tool, an input or output field it does not declare. */
  problems: string[];
  /** What the server leaves unsaid (no output schema): the product reads those fields on trust. */
  notes: string[];
}

/** Compares `tools/list` with what the product sends and reads. */
export function checkDeclarations(declared: readonly DeclaredTool[]): Declarations {
  const problems: string[] = [];
  const notes: string[] = [];
  const names: Partial<ToolNames> = {};
  const allNames = declared.map((t) => t.name);
  for (const base of TOOL_BASES) {
    const found = nameFor(base, allNames);
    if (!found.name) {
      problems.push(found.problem ?? base);
      continue;
    }
    names[base] = found.name;
    const tool = declared.find((t) => t.name === found.name);
    for (const field of TOOL_CONTRACT[base].sends) {
      if (declares(tool?.inputSchema, field) === 'missing')
        problems.push(`${found.name} declares no input field ${field}`);
    }
    const reads: readonly string[] = TOOL_CONTRACT[base].reads;
    if (reads.length === 0) continue;
    if (!tool?.outputSchema) {
      notes.push(`${found.name} declares no output schema: ${reads.join(', ')} read on trust`);
      continue;
    }
    const missing: string[] = [];
    for (const field of reads) {
      // `messages[].id` is not named again once `messages` is missing.
      if (missing.some((m) => field.startsWith(`${m}[`) || field.startsWith(`${m}.`))) continue;
      if (declares(tool.outputSchema, field) === 'missing') missing.push(field);
    }
    problems.push(...missing.map((field) => `${found.name} declares no output field ${field}`));
  }
  return { ...(problems.length === 0 ? { names: names as ToolNames } : {}), problems, notes };
}

/**
 * What the Virtual MCP server declares, read once per worker process (on first use) and checked: the
 * real tool names, or a non-retryable failure naming the tool or field that does not fit.
 */
export class ToolCatalog {
  private learned?: Promise<ToolNames>;
  private known?: ToolNames;

  /** The names learned so far in this process, if any. */
  get names(): ToolNames | undefined {
    return this.known;
  }

  learn(mcp: McpSession): Promise<ToolNames> {
    this.learned ??= (async () => {
      const result = checkDeclarations(await mcp.listTools());
      if (!result.names) throw unexpectedAnswer('tools/list', result.problems.join('; '));
      this.known = result.names;
      return result.names;
    })().catch((err: unknown) => {
      this.learned = undefined;
      throw err;
    });
    return this.learned;
  }
}
