import { describe, expect, it } from 'vitest';
import { MAX_SUBJECT_CHARS, cleanSubject, eventTitle } from '../../common/subject.js';
import { sweepTask } from '../../activities/sweep-task.js';

describe('cleanSubject', () => {
  it('turns a subject with line breaks and controls into one line', () => {
    expect(cleanSubject('Dinner\r\nBcc: attacker@evil.example\u0007\u2028x')).toBe(
      'Dinner Bcc: attacker@evil.example x',
    );
  });

  it('caps a long subject with an ellipsis', () => {
    const cleaned = cleanSubject('a'.repeat(596));
    expect([...cleaned]).toHaveLength(MAX_SUBJECT_CHARS);
    expect(cleaned.endsWith('…')).toBe(true);
    expect(cleanSubject('short')).toBe('short');
  });

  it('is what the task and the event title carry', () => {
    expect(sweepTask([{ id: 'm1', subject: 'a\nb' }], false)).toContain('subject: "a b"');
    expect(eventTitle('Sign\nthe NDA')).toBe('Action Required: Sign the NDA');
  });
});
