// Runs before `npm start` and `npm test` (plain Node, no dependencies): installs the npm packages on
// a fresh clone and makes sure the Temporal CLI (and, for the tests, Chromium) is there, so both
// commands work on a new machine.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

const installed = `${root}node_modules/.package-lock.json`;
if (!existsSync(installed) || statSync(`${root}package-lock.json`).mtimeMs > statSync(installed).mtimeMs) {
  console.error('bootstrap: installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
try {
  execFileSync('bash', [`${root}scripts/temporal-cli`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
} catch {
  console.error('bootstrap: no Temporal CLI; the dev server will try the SDK download, which needs a network');
}
if (process.argv.includes('--with-browser')) {
  // The test of the contract from Python needs Temporal's Python SDK in the same venv.
  try {
    execFileSync('bash', [`${root}scripts/python-sdk`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('bootstrap: no Python SDK, so the Python client test will fail; see the message above');
  }
  try {
    execFileSync('bash', [`${root}scripts/ensure-chromium`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('bootstrap: no Chromium, so the browser test will fail; see the message above');
  }
}
