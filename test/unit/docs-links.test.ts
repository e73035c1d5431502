import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown outside code fences and inline code: links shown as examples are not links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()]/g, ' '));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(text: string): Set<string> {
  const slugs = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    let slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    for (let n = 1; slugs.has(slug); n += 1) slug = `${slug.replace(/-\d+$/, '')}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

function brokenLinks(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const broken: string[] = [];
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto: - not ours to check offline
    const [path, anchor] = target!.split('#') as [string, string | undefined];
    const file = path ? resolve(ROOT, dirname(page), path) : join(ROOT, page);
    if (!existsSync(file)) {
      broken.push(`${target} (no ${relative(ROOT, file)})`);
      continue;
    }
    if (anchor && statSync(file).isFile() && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
      broken.push(`${target} (no heading #${anchor})`);
    }
  }
  return broken;
}

describe('the docs', () => {
  it('keep the README short enough to read in five minutes', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(200);
  });

  it.each(PAGES)('%s links only to files and headings that exist', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it('the link check finds a broken file link and a broken anchor', () => {
    expect(anchors('# The `npm run bench`: what it costs\n## Deploy\n## Deploy')).toEqual(
      new Set(['the-npm-run-bench-what-it-costs', 'deploy', 'deploy-1']),
    );
    expect(prose('see [x](a.md) and `[y](b.md)`')).toContain('(a.md)');
    expect(prose('see `[y](b.md)`')).not.toContain('(b.md)');
  });
});
