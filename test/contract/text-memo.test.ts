import { describe, expect, it } from 'vitest';
import { TextMemo } from '../../src/contract/text-memo';

describe('TextMemo', () => {
  it('numbers texts in the order they are added and finds one by itself and by a range of a longer text', () => {
    const memo = new TextMemo();
    expect(memo.add('upi')).toBe(0);
    expect(memo.add('credit_card')).toBe(1);
    expect(memo.add('upi')).toBe(0);
    expect(memo.size).toBe(2);
    expect(memo.indexOf('upi')).toBe(0);
    expect(memo.indexOf('credit_card')).toBe(1);
    expect(memo.indexOfRange('x,credit_card,y', 2, 13)).toBe(1);
    expect(memo.indexOfRange('x,credit_car,y', 2, 12)).toBe(-1);
    expect(memo.indexOfRange('upix', 0, 4)).toBe(-1);
    expect(memo.indexOfRange('', 0, 0)).toBe(-1);
  });

  it('keeps every text and its number through growth', () => {
    const memo = new TextMemo(2);
    for (let i = 0; i < 5000; i++) expect(memo.add(`C${i}`)).toBe(i);
    expect(memo.add('C42')).toBe(42);
    expect(memo.size).toBe(5000);
    const text = Array.from({ length: 5000 }, (_, i) => `C${i}`).join(';');
    let at = 0;
    for (let i = 0; i < 5000; i++) {
      const end = text.indexOf(';', at) === -1 ? text.length : text.indexOf(';', at);
      expect(memo.indexOfRange(text, at, end)).toBe(i);
      at = end + 1;
    }
    expect(memo.indexOf('C5000')).toBe(-1);
    // A text that shares a prefix with a key, or is one cut short, is not it.
    expect(memo.indexOf('C49999')).toBe(-1);
    expect(memo.indexOf('C')).toBe(-1);
  });

  it('answers the same while it is small and after it outgrows its list', () => {
    const memo = new TextMemo(1);
    const keys = ['a', 'bb', 'ab', 'ba', 'b', 'aa', 'abc', 'cab', 'c', 'cc', 'ca', 'bc'];
    keys.forEach((key, i) => {
      expect(memo.add(key)).toBe(i);
      // Added again, 'bb' (added first just after 'a') keeps its number.
      expect(memo.add('bb')).toBe(1);
      for (const [j, known] of keys.slice(0, i + 1).entries()) {
        expect(memo.indexOfRange(`[${known}]`, 1, 1 + known.length)).toBe(j);
      }
      for (const unknown of keys.slice(i + 1)) {
        if (unknown !== 'bb') expect(memo.indexOf(unknown)).toBe(-1);
      }
      expect(memo.indexOf('zz')).toBe(-1);
    });
    expect(memo.size).toBe(keys.length);
  });

  it('tells apart texts that differ only in characters beyond Latin-1', () => {
    const memo = new TextMemo();
    memo.add('Zürich');
    memo.add('Zurich');
    memo.add('東京');
    expect(memo.indexOf('Zürich')).toBe(0);
    expect(memo.indexOf('Zurich')).toBe(1);
    expect(memo.indexOfRange('[東京]', 1, 3)).toBe(2);
  });
});
