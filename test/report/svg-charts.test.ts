import { describe, expect, it } from 'vitest';
import { barChart, columnChart, niceScale } from '../../src/report/svg-charts';

const plain = (v: number) => String(v);

describe('niceScale', () => {
  it.each([
    [0, 9.3, 5, [0, 2, 4, 6, 8, 10]],
    [0, 0.137, 5, [0, 0.05, 0.1, 0.15]],
    [-750, 1200, 4, [-1000, -500, 0, 500, 1000, 1500]],
    [0, 0, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [42, 42, 5, [0, 10, 20, 30, 40, 50]],
  ])('covers %d..%d with round ticks', (low, high, count, ticks) => {
    const scale = niceScale(low, high, count);

    expect(scale.ticks).toEqual(ticks);
    expect([scale.min, scale.max]).toEqual([ticks[0], ticks[ticks.length - 1]]);
  });
});

describe('columnChart', () => {
  const days = ['2024-06-01', '2024-06-02', '2024-06-03'];

  it('stacks bars, skips zero segments and gives every category a tooltip', () => {
    const svg = columnChart({
      label: 'test',
      categories: days,
      formatCategory: (d) => d.slice(8),
      bars: [
        { name: 'a', colour: '#000', values: [1, 0, 2] },
        { name: 'b', colour: '#111', values: [3, 4, null] },
      ],
      formatValue: plain,
      formatTick: plain,
      xLabel: 'day',
      yLabel: 'count',
      width: 600,
    });

    expect(svg.match(/<rect class="mark"/g)).toHaveLength(4);
    expect(svg.match(/<rect class="hit"/g)).toHaveLength(3);
    expect(svg).toContain('<title>03\na: 2\nb: no data</title>');
  });

  it('breaks a line where a value is missing', () => {
    const svg = columnChart({
      label: 'test',
      categories: [...days, '2024-06-04'],
      formatCategory: (d) => d,
      lines: [{ name: 'avg', colour: '#000', values: [1, 2, null, 3] }],
      formatValue: plain,
      formatTick: plain,
      xLabel: 'day',
      yLabel: 'value',
      width: 600,
    });

    const path = /<path class="mark line" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(path.match(/[ML]/g)).toEqual(['M', 'L', 'M']);
  });

  it('escapes category names and series names in ticks and tooltips', () => {
    const svg = columnChart({
      label: '<b>label</b>',
      categories: ['<x>'],
      formatCategory: (c) => c,
      bars: [{ name: 'a&b', colour: '#000', values: [1] }],
      formatValue: plain,
      formatTick: plain,
      xLabel: 'x',
      yLabel: 'y',
      width: 300,
    });

    expect(svg).not.toMatch(/<x>|<b>/);
    expect(svg).toContain('aria-label="&lt;b&gt;label&lt;/b&gt;"');
    expect(svg).toContain('<title>&lt;x&gt;\na&amp;b: 1</title>');
  });
});

describe('barChart', () => {
  it('draws negative values left of the zero line and positive ones right of it', () => {
    const svg = barChart({
      label: 'moves',
      categories: [
        { key: 'up', label: 'up' },
        { key: 'down', label: 'down' },
      ],
      series: [{ name: 'change', colour: '#00f', values: [50, -100] }],
      barColour: (_, value) => (value < 0 ? '#f00' : '#00f'),
      formatValue: plain,
      formatTick: plain,
      xLabel: 'change',
      width: 400,
    });

    const zero = Number(/<line class="grid zero" x1="([\d.]+)"/.exec(svg)?.[1]);
    const bars = [
      ...svg.matchAll(
        /<rect class="mark" x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="\d+" fill="(#[0-9a-f]+)"/g,
      ),
    ].map((m) => ({ x: Number(m[1]), width: Number(m[2]), fill: m[3] }));
    expect(bars[0]).toEqual({ x: zero, width: expect.any(Number), fill: '#00f' });
    expect(bars[1]!.x + bars[1]!.width).toBeCloseTo(zero, 0);
    expect(bars[1]!.width).toBeCloseTo(bars[0]!.width * 2, 0);
    expect(bars[1]!.fill).toBe('#f00');
  });

  it('truncates long category labels and keeps the full name in the tooltip', () => {
    const long = 'An extraordinarily long product name that cannot fit';

    const svg = barChart({
      label: 'products',
      categories: [{ key: 'p', label: long }],
      series: [{ name: 'value', colour: '#000', values: [10] }],
      formatValue: plain,
      formatTick: plain,
      xLabel: 'value',
      width: 340,
    });

    expect(svg).toMatch(/<text class="category"[^>]*>An extraordinar[^<]*…<\/text>/);
    expect(svg).toContain(`<title>${long}\nvalue: 10</title>`);
  });
});
