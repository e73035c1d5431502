/**
 * `npm run emulators`: both emulators as one standalone process on loopback, for running the worker
 * and CLI by hand or for benchmarks. Prints the environment that points a worker at them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { seedDemoUsers } from './demo.js';
import { emulateManagedAgents, emulateScalekit } from './stack.js';

const portNumber = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a port number');
  return port;
};

const options = new Command('emulators')
  .description('serve the Scalekit and Claude Managed Agents emulators on loopback')
  .option('--scalekit-port <port>', 'Scalekit emulator port', portNumber, 4010)
  .option('--anthropic-port <port>', 'Managed Agents emulator port', portNumber, 4011)
  .option('--no-demo', 'do not seed the demo users (demo-alice, demo-bob)')
  .addOption(
    new Option(
      '--user-verification <mode>',
      "Scalekit's user verification: custom (production) or dashboard (test mode)",
    )
      .choices(['custom', 'dashboard'])
      .default('custom'),
  )
  // Bad arguments exit 2, like every other command of the project.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ scalekitPort: number; anthropicPort: number; demo: boolean; userVerification: 'custom' | 'dashboard' }>();

const scalekit = await emulateScalekit(options.scalekitPort, undefined, options.userVerification);
const agents = await emulateManagedAgents(options.anthropicPort);
if (options.demo) seedDemoUsers(scalekit.emulator);

console.log(`Scalekit emulator        ${scalekit.emulator.url}   (control: ${scalekit.emulator.url}/_emulator/...)`);
console.log(`Managed Agents emulator  ${agents.emulator.url}   (control: ${agents.emulator.url}/_emulator/...)`);
console.log('\nPoint a worker at them with:');
for (const [name, value] of Object.entries({ ...scalekit.env, ...agents.env })) console.log(`export ${name}=${value}`);
console.log('export INBOX_AGENT_CODEC_KEYS=k1:$(openssl rand -base64 32)');
console.log('export INBOX_AGENT_SEAL_KEYS=s1:$(openssl rand -base64 32)');

const stop = async () => {
  await Promise.all([scalekit.emulator.close(), agents.emulator.close()]);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
