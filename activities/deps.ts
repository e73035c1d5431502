import type Anthropic from '@anthropic-ai/sdk';
import type { ScalekitApi } from './apis/scalekit.js';
import type { Sealer } from './seal.js';
import type { UserStateStore } from './user-state.js';
import type { SessionProgress, SweepInput } from '../workflows/contract.js';

/** What the activities need from the outside world; tests pass emulator-backed ones. */
export interface ActivityDeps {
  scalekit: ScalekitApi;
  /** Built with `maxRetries: 0`: Temporal owns retries. */
  anthropic: Anthropic;
  sealer: Sealer;
  /** Shared by every worker of the deployment: vault ids and the ledger of handled e-mails. */
  state: UserStateStore;
  /** Tells a sweep how its session is going, so `status` can show it while the activity runs. */
  reportProgress?: (workflowId: string, runId: string, progress: SessionProgress) => Promise<void>;
  /** Starts (or attaches to) the user's one sweep: `sweepStartOptions` with USE_EXISTING. For tickets. */
  startSweep?: (input: SweepInput, taskQueue: string) => Promise<{ workflowId: string; runId: string }>;
  settings: {
    mcpConfigName: string;
    agentName: string;
    model: string;
    environmentId: string;
  };
}
