// The architecture, enforced: which folder may import what. Style is Prettier's job; these rules are
// the boundaries (and the one correctness rule, no-floating-promises) that a reviewer would otherwise
// have to remember.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const restrict = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

// Product code never reaches into the emulators: it finds the services by configured URL.
const noEmulators = {
  group: ['**/emulators/**', '@inbox-agent/emulators', '@inbox-agent/emulators/**'],
  message: 'product code never imports the emulators; it reaches services through configured URLs',
};

// SDK internals change without notice between releases; where no public API does the job, a
// disable comment at the import says why.
const sdkInternals = {
  group: ['@temporalio/*/lib/**'],
  message: "SDK internals are not its API: use the package's public entry",
};

// Node builtins do not exist in the workflow sandbox (and break determinism where they would).
const nodeBuiltins = {
  group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))],
  message: 'workflow code runs in the deterministic sandbox: no Node builtins',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.temporal/', '.data/', 'test-results/', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error (and in a workflow, its ordering).
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: restrict(
      nodeBuiltins,
      {
        group: ['@temporalio/*/lib/**'],
        message: 'deep imports of SDK internals may pull Node-only code into the sandbox; use the public entry',
      },
      {
        group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', '@temporalio/testing'],
        message: 'workflows import only @temporalio/workflow and @temporalio/common',
      },
      {
        group: ['**/activities/**', '**/worker/**', '**/client/**'],
        allowTypeImports: true,
        message: 'workflows call activities through proxyActivities; import their types only',
      },
      {
        group: ['zod', 'zod/**', '**/contract.schema.js'],
        allowTypeImports: true,
        message:
          "zod stays out of the workflow bundle (worker/workflow-bundle.ts): import the schemas' types only and check with input.ts",
      },
      noEmulators,
    ),
  },
  {
    // The schemas live beside the contract but run at the edges (client, CLI, activities): zod is theirs.
    files: ['workflows/contract.schema.ts'],
    rules: restrict(nodeBuiltins, noEmulators),
  },
  {
    files: ['client/**/*.ts'],
    rules: restrict(
      {
        group: ['**/worker/**', '**/activities/**'],
        allowTypeImports: true,
        message:
          'the client talks to workers through Temporal only; shared code lives in workflows/contract.ts or common/',
      },
      noEmulators,
      sdkInternals,
    ),
  },
  {
    files: ['activities/**/*.ts', 'worker/**/*.ts', 'common/**/*.ts'],
    rules: restrict(noEmulators, sdkInternals),
  },
  {
    // The consent callback runs beside the workers with less (no Anthropic key, no seal keys): it
    // shares consent/ with them and reaches sweeps through the typed client, never worker internals.
    files: ['callback/**/*.ts'],
    rules: restrict(
      {
        // Exceptions: the Scalekit port's error type (the callback tells Scalekit's refusals apart) and
        // the shared state store, where the callback records spent consent states.
        regex: String.raw`^(\.\./)+(worker|activities(?!/apis/scalekit\.js$|/state/index\.js$|/user-state\.js$))(/|$)`,
        message: 'the callback shares consent/, common/ and the client with the rest; not worker or activity code',
      },
      noEmulators,
      sdkInternals,
    ),
  },
  {
    // Shared by the worker (activities) and the callback: so it leans on neither.
    files: ['consent/**/*.ts'],
    rules: restrict(
      {
        regex: String.raw`^(\.\./)+(worker|client|callback|activities(?!/apis/scalekit\.js$))(/|$)`,
        message: "consent/ is shared by worker and callback: it imports neither (only the Scalekit port's error type)",
      },
      noEmulators,
      sdkInternals,
    ),
  },
  {
    // codec/ too: worker, client, CLI and codec server all load it, so it may lean on none of them.
    files: ['common/**/*.ts', 'codec/**/*.ts'],
    rules: restrict(
      {
        group: ['**/workflows/**', '**/activities/**', '**/worker/**', '**/client/**'],
        message: 'common/ and codec/ are neutral ground: they import no product folder',
      },
      noEmulators,
      sdkInternals,
    ),
  },
  // The emulators stand in for foreign services: they share only the wire types with the product.
  // Import strings are matched, not resolved paths, and `emulators/common/` shares a name with the
  // product's `common/`: so the product folders are spelled from each depth of the emulators' tree.
  ...[1, 2, 3].map((depth) => {
    const up = '../'.repeat(depth);
    return {
      files: [`emulators/${'*/'.repeat(depth - 1)}*.ts`],
      rules: restrict({
        // Any product folder at this depth, except activities/apis/<api>.wire.js.
        regex: `^${up.replaceAll('.', '\\.')}(activities/(?!apis/[^/]+\\.wire\\.js$)|(workflows|worker|client|common|codec|scripts|test)/)`,
        message: 'an emulator imports no product code except the shared *.wire.ts types',
      }),
    };
  }),
);
