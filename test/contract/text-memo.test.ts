import { describe, expect, it } from 'vitest';
import { TextMemo } from '../../src/contract/text-memo';

describe('TextMemo', () => {
  it('finds a key by itself and by a range of a longer text', () => {
    const memo = new TextMemo<number>();
    memo.set('upi', 1);
    memo.set('credit_card', 2);
    expect(memo.get('upi')).toBe(1);
    expect(memo.getRange('x,credit_card,y', 2, 13)).toBe(2);
    expect(memo.getRange('x,credit_car,y', 2, 12)).toBeUndefined();
    expect(memo.getRange('upix', 0, 4)).toBeUndefined();
    expect(memo.getRange('', 0, 0)).toBeUndefined();
  });

  it('keeps every entry through growth and replaces a value set again', () => {
    const memo = new TextMemo<number>(2);
    for (let i = 0; i < 5000; i++) memo.set(`C${i}`, i);
    memo.set('C42', -1);
    expect(memo.size).toBe(5000);
    const text = Array.from({ length: 5000 }, (_, i) => `C${i}`).join(';');
    let at = 0;
    for (let i = 0; i < 5000; i++) {
      const end = text.indexOf(';', at) === -1 ? text.length : text.indexOf(';', at);
      expect(memo.getRange(text, at, end)).toBe(i === 42 ? -1 : i);
      at = end + 1;
    }
    expect(memo.get('C5000')).toBeUndefined();
  });

  it('answers the same while it is small, when it outgrows its list, and after a value is replaced', () => {
    const memo = new TextMemo<number>(1);
    const keys = ['a', 'bb', 'ab', 'ba', 'b', 'aa', 'abc', 'cab', 'c', 'cc', 'ca', 'bc'];
    keys.forEach((key, i) => {
      memo.set(key, i);
      memo.set('ab', 100 + i);
      for (const [j, known] of keys.slice(0, i + 1).entries()) {
        expect(memo.getRange(`[${known}]`, 1, 1 + known.length)).toBe(known === 'ab' ? 100 + i : j);
      }
      expect(memo.get('zz')).toBeUndefined();
    });
    expect(memo.size).toBe(keys.length);
  });

  it('tells apart keys that differ only in characters beyond Latin-1', () => {
    const memo = new TextMemo<string>();
    memo.set('Zürich', 'a');
    memo.set('Zurich', 'b');
    memo.set('東京', 'c');
    expect(memo.get('Zürich')).toBe('a');
    expect(memo.get('Zurich')).toBe('b');
    expect(memo.getRange('[東京]', 1, 3)).toBe('c');
  });
});
