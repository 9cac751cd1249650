import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from './stop-strings.js';

function run(stops: string[], pieces: string[]) {
  const matcher = new StopStringMatcher(stops);
  const shown: string[] = [];
  for (const piece of pieces) {
    const result = matcher.push(piece);
    shown.push(result.text);
    if (result.stopped) return { shown, stopped: true };
  }
  shown.push(matcher.flush());
  return { shown, stopped: false };
}

describe('StopStringMatcher', () => {
  it('never shows part of a stop string split across pieces', () => {
    const { shown, stopped } = run(['</answer>'], ['The ', 'answer', ' is 4<', '/ans', 'wer>', ' ignored']);
    expect(stopped).toBe(true);
    expect(shown).toEqual(['The ', 'answer', ' is 4', '', '']);
    expect(shown.join('')).toBe('The answer is 4');
  });

  it('releases held-back text once it cannot start a stop string', () => {
    const { shown, stopped } = run(['###'], ['a#', '#b', 'c']);
    expect(stopped).toBe(false);
    expect(shown).toEqual(['a', '##b', 'c', '']);
  });

  it('flushes held-back text at the end', () => {
    const { shown } = run(['STOP'], ['go ST']);
    expect(shown).toEqual(['go ', 'ST']);
  });

  it('stops at the earliest of several stop strings, inside one piece', () => {
    const { shown } = run(['\n\n', 'User:'], ['Hi there User: and\n\nmore']);
    expect(shown).toEqual(['Hi there ']);
  });

  it('with no stop strings passes everything through', () => {
    expect(run([], ['a', 'b']).shown).toEqual(['a', 'b', '']);
  });
});
