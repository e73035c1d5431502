import { describe, expect, it } from 'vitest';
import { bulkRule } from '../../activities/bulk-mail.js';

const headers = (h: Record<string, string>) => Object.entries(h).map(([name, value]) => ({ name, value }));

describe("the worker's bulk-mail rules", () => {
  it.each([
    [{ 'List-Unsubscribe': '<mailto:u@news.example>' }, 'List-Unsubscribe header'],
    [{ 'list-unsubscribe': '<https://news.example/u>' }, 'List-Unsubscribe header'],
    [{ Precedence: 'bulk' }, 'Precedence: bulk, list or junk'],
    [{ Precedence: ' List ' }, 'Precedence: bulk, list or junk'],
    [{ PRECEDENCE: 'junk' }, 'Precedence: bulk, list or junk'],
    [{ From: 'CI <noreply@ci.example>' }, 'no-reply sender'],
    [{ From: 'no-reply@ci.example' }, 'no-reply sender'],
    [{ From: 'Shop <do-not-reply@shop.example>' }, 'no-reply sender'],
    [{ From: 'GitHub <notifications-noreply@github.example>' }, 'no-reply sender'],
    [{ From: 'donotreply@bank.example' }, 'no-reply sender'],
  ])('%o is bulk (%s)', (h, rule) => {
    expect(bulkRule(headers(h))).toBe(rule);
  });

  it.each<Record<string, string>>([
    { From: 'Bruno <bruno.reply@example.com>' },
    { From: 'No Reply Needed <ann@example.com>' },
    { From: 'Ann <ann@example.com>', Precedence: 'first-class' },
    { 'List-Unsubscribe': '  ' },
    { Subject: 'noreply' },
  ])('%o is not', (h) => {
    expect(bulkRule(headers(h))).toBeUndefined();
  });
});
