import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_WORKER_ENV, IMAGE_COMMANDS, IMAGE_STATE_DIR } from '../../scripts/container-config.js';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  tmpfs?: string[];
  read_only?: boolean;
}
const compose = parse(readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

describe('compose.yaml and check:container describe the same containers', () => {
  it('runs each process of the image with the command the check runs', () => {
    for (const [service, command] of Object.entries(IMAGE_COMMANDS)) {
      expect(compose.services[service]?.command, service).toEqual(command);
    }
    expect(dockerfile).toContain(`CMD ${JSON.stringify(IMAGE_COMMANDS.worker).replaceAll(',', ', ')}`);
  });

  it('sets the same per-service variables for the worker', () => {
    expect(Object.keys(compose.services.worker?.environment ?? {}).sort()).toEqual([...COMPOSE_WORKER_ENV].sort());
  });

  it('runs the worker read-only with the state directory on a tmpfs, as the check does', () => {
    expect(compose.services.worker?.read_only).toBe(true);
    expect(compose.services.worker?.tmpfs).toContain(IMAGE_STATE_DIR);
    expect(dockerfile).toContain(`INBOX_AGENT_STATE_DIR=${IMAGE_STATE_DIR}`);
  });
});
