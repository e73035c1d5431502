import { ConfigError, TemporalUnreachableError } from './errors.js';

export interface MainOptions {
  /** The exit code for errors this entry point knows (its usage errors: 2); undefined for the default. */
  exitCode?: (err: unknown) => number | undefined;
  /** Runs after `main`, whether it succeeded or failed, before the process exits. */
  finally?: () => Promise<void>;
  /** A long-running process prints an unexpected error with its stack, not one line. */
  stack?: boolean;
}

/**
 * How every entry point ends: a configuration problem (`ConfigError`, a line per variable) or another
 * usage error names the process and exits 2; any other failure exit 1; exit code 0 errors (`--help`) quietly.
 */
export function runMain(name: string, main: () => Promise<void>, options: MainOptions = {}): void {
  main().then(
    () => options.finally?.(),
    async (err: unknown) => {
      await options.finally?.().catch(() => {});
      const code = options.exitCode?.(err) ?? (err instanceof ConfigError ? 2 : 1);
      if (code !== 0) {
        // A ConfigError names every bad variable, one line each; anything else is its first line.
        const message = err instanceof Error ? err.message : String(err);
        const lines = err instanceof ConfigError ? message.split('\n') : [message.split('\n')[0] ?? ''];
        for (const line of lines) console.error(`${name}: ${line.replace(/^error: /, '')}`);
        // An unreachable Temporal is said in that one line (address, what to check), never a native stack.
        if (code === 1 && options.stack && !(err instanceof TemporalUnreachableError)) console.error(err);
      }
      process.exit(code);
    },
  );
}
