import { describe, expect, it } from 'vitest';
import { LastOccurrenceIndex } from '../../src/ingest/last-occurrence';

describe('LastOccurrenceIndex', () => {
  it('marks every occurrence but the last of a repeated key as superseded', () => {
    const index = new LastOccurrenceIndex(10);
    const rows: [string, number][] = [
      ['A', 2],
      ['B', 3],
      ['A', 4],
      ['C', 5],
      ['A', 6],
      ['B', 7],
    ];
    for (const [key, line] of rows) index.observe(key, line);
    expect(rows.map(([key, line]) => index.isSuperseded(key, line))).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('gives the same answers for keys observed where they lie in a text', () => {
    const index = new LastOccurrenceIndex(10);
    const text = 'A,B,A,C,A,B';
    for (let i = 0; i < 6; i++) index.observeRange(text, 2 * i, 2 * i + 1, i + 2);
    expect(['A', 'B', 'A', 'C', 'A', 'B'].map((key, i) => index.isSuperseded(key, i + 2))).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('gives the same answers for keys observed in batches, repeats within and across batches too', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `K${(i * 7) % 20_011}`);
    const one = new LastOccurrenceIndex(1);
    const batched = new LastOccurrenceIndex(1);
    const text = keys.join(',');
    const from = new Int32Array(keys.length);
    const to = new Int32Array(keys.length);
    const lines = new Int32Array(keys.length);
    let at = 0;
    keys.forEach((key, i) => {
      from[i] = at;
      to[i] = at + key.length;
      lines[i] = i + 2;
      at += key.length + 1;
      one.observe(key, i + 2);
    });
    // Batches of 1,000 keys; the filter fills and gets layers on the way.
    for (let start = 0; start < keys.length; start += 1000) {
      batched.observeRanges(text, from.subarray(start), to.subarray(start), lines.subarray(start), 1000);
    }

    const answers = (index: LastOccurrenceIndex) => keys.map((key, i) => index.isSuperseded(key, i + 2));
    const superseded = answers(batched).filter(Boolean).length;
    expect(answers(batched)).toEqual(answers(one));
    // 50,000 occurrences of 20,011 keys: all but the last of each are superseded.
    expect(superseded).toBe(50_000 - 20_011);
  });

  it('stays exact with many keys in a small filter, which adds layers and flags false positives', () => {
    const index = new LastOccurrenceIndex(1); // smallest first layer: 512 Kibit, sized for 32k keys
    const keys = Array.from({ length: 200_000 }, (_, i) => `T${i}`);
    for (const [i, key] of keys.entries()) index.observe(key, i + 1);
    index.observe('T123', 200_001);
    const superseded = keys.filter((key, i) => index.isSuperseded(key, i + 1));
    expect(superseded).toEqual(['T123']);
    expect(index.isSuperseded('T123', 200_001)).toBe(false);
    expect(index.trackedKeys).toBeGreaterThan(1); // false positives were tracked exactly
  });

  it('adds filter layers when there are more keys than expected, so few keys are held exactly', () => {
    const index = new LastOccurrenceIndex(1);
    const keys = 500_000;
    for (let i = 0; i < keys; i++) index.observe(`K${i}`, i + 1);
    // One 512 Kibit layer for 500k keys would flag most of them; the added layers keep it under 1%.
    expect(index.filterBytes).toBeGreaterThan(64 * 1024);
    expect(index.trackedKeys).toBeLessThan(keys / 100);
  });
});

describe('LastOccurrenceIndex.endObserving', () => {
  it('drops the filter and answers as before; a key observed afterwards is refused', () => {
    const index = new LastOccurrenceIndex(100_000);
    const keys = Array.from({ length: 100_000 }, (_, i) => `T${i % 90_000}`);
    for (const [i, key] of keys.entries()) index.observe(key, i + 1);
    const before = keys.map((key, i) => [index.isSuperseded(key, i + 1), index.mayTrack(key)]);
    expect(index.filterBytes).toBeGreaterThan(0);
    index.endObserving();
    expect(index.filterBytes).toBe(0);
    expect(keys.map((key, i) => [index.isSuperseded(key, i + 1), index.mayTrack(key)])).toEqual(before);
    expect(before.filter(([superseded]) => superseded)).toHaveLength(10_000);
    expect(() => index.observe('T1', 100_001)).toThrow(/observed after endObserving/);
    expect(() => index.observeRanges('T1', Int32Array.of(0), Int32Array.of(2), [100_001], 1)).toThrow(
      /observed after endObserving/,
    );
  });
});

describe('LastOccurrenceIndex.held / fromHeld', () => {
  it('answers in another thread (a structured clone) as the index it came from', () => {
    const index = new LastOccurrenceIndex(100_000);
    const keys = Array.from({ length: 100_000 }, (_, i) => `T${i % 90_000}`);
    for (const [i, key] of keys.entries()) index.observe(key, i + 1);
    expect(() => index.held()).toThrow(/observing has ended/);
    index.endObserving();
    const copy = LastOccurrenceIndex.fromHeld(structuredClone(index.held()));
    const answers = (of: LastOccurrenceIndex) =>
      keys.map((key, i) => [of.isSuperseded(key, i + 1), of.mayTrack(key)]);
    const expected = answers(index);
    expect(expected.filter(([superseded]) => superseded)).toHaveLength(10_000);
    expect(answers(copy)).toEqual(expected);
    expect(copy.trackedKeys).toBe(index.trackedKeys);
    // The negative control: an index that saw no key answers otherwise.
    const empty = new LastOccurrenceIndex(10);
    empty.endObserving();
    expect(answers(LastOccurrenceIndex.fromHeld(empty.held()))).not.toEqual(expected);
    expect(() => copy.observe('T1', 100_001)).toThrow(/observed after endObserving/);
  });
});

describe('LastOccurrenceIndex.mayTrack', () => {
  it('is true for every key held exactly, even when every key is', () => {
    const index = new LastOccurrenceIndex(200_000);
    const keys = Array.from({ length: 200_000 }, (_, i) => `T${i}`);
    for (const [i, key] of keys.entries()) index.observe(key, i + 1);
    for (const [i, key] of keys.entries()) index.observe(key, 200_001 + i);
    expect(index.trackedKeys).toBe(keys.length);
    expect(keys.filter((key) => !index.mayTrack(key))).toEqual([]);
  });

  it('rules out nearly every key while few are held exactly', () => {
    const index = new LastOccurrenceIndex(200_000);
    const keys = Array.from({ length: 200_000 }, (_, i) => `T${i}`);
    for (const [i, key] of keys.entries()) index.observe(key, i + 1);
    for (let i = 0; i < 50; i++) index.observe(keys[i * 1000]!, 200_001 + i);
    expect(index.trackedKeys).toBeGreaterThanOrEqual(50);
    expect(index.trackedKeys).toBeLessThan(1000);
    const passed = keys.filter((key) => index.mayTrack(key)).length;
    // Every held key passes; of the others, about trackedKeys / 65536 of them.
    expect(passed).toBeGreaterThanOrEqual(index.trackedKeys);
    expect(passed).toBeLessThan(index.trackedKeys + 2000);
  });

  it('rules out every key while nothing is held exactly', () => {
    const index = new LastOccurrenceIndex(1000);
    for (let i = 0; i < 100; i++) index.observe(`K${i}`, i + 1);
    expect(index.trackedKeys).toBe(0);
    expect(index.mayTrack('K1')).toBe(false);
  });
});
