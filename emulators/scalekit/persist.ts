import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ScalekitEmulator, UsersSnapshot } from './index.js';

export interface PersistedUsers {
  /** How many users the file held when the emulator started. */
  restored: number;
  /** Writes the users now (and stops the periodic save). */
  stop(): void;
}

/**
 * Keeps the emulator's users (accounts, mail, calendars) in a JSON file, so users added over HTTP
 * outlive a restart of `npm start` as the sweeps waiting for them do. Written when something changed,
 * checked every `everyMs` and on stop, through a rename so a crash never leaves half a file. Configs,
 * links and tokens are not kept: `setup` finds or creates the config again, links live a minute.
 */
export function persistUsers(emulator: ScalekitEmulator, file: string, everyMs = 2000): PersistedUsers {
  let restored = 0;
  if (existsSync(file)) {
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as UsersSnapshot;
    emulator.restoreUsers(snapshot);
    restored = new Set(snapshot.accounts.map((a) => a.identifier)).size;
  }
  let written = '';
  const save = () => {
    const text = JSON.stringify(emulator.users());
    if (text === written) return;
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    written = text;
  };
  const timer = setInterval(save, everyMs);
  timer.unref();
  return {
    restored,
    stop() {
      clearInterval(timer);
      save();
    },
  };
}
