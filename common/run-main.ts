import { ConfigError } from './errors.js';

export interface MainOptions {
  /** The exit code for errors this entry point knows (its usage errors: 2); undefined for the default. */
  exitCode?: (err: unknown) => number | undefined;
  /** Runs after `main`, whether it succeeded or failed, before the process exits. */
  finally?: () => Promise<void>;
  /** A long-running process prints an unexpected error with its stack, not one line. */
  stack?: boolean;
}

/**
 * How every entry point ends: a configuration problem (`ConfigError`) or another usage error is one
 * line naming the process and exit 2; any other failure exit 1; exit code 0 errors (`--help`) quietly.
 */
export function runMain(name: string, main: () => Promise<void>, options: MainOptions = {}): void {
  main().then(
    () => options.finally?.(),
    async (err: unknown) => {
      await options.finally?.().catch(() => {});
      const code = options.exitCode?.(err) ?? (err instanceof ConfigError ? 2 : 1);
      if (code !== 0) {
        const line = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
        console.error(`${name}: ${line.replace(/^error: /, '')}`);
        if (code === 1 && options.stack) console.error(err);
      }
      process.exit(code);
    },
  );
}
