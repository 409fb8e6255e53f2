/**
 * Charts drawn on the server as inline SVG: no chart library in the page, vector output that prints
 * sharply and draws even with JavaScript off. Two shapes cover the report: a column chart over
 * ordered categories (days, months) with stacked bars and lines, and a horizontal bar chart over
 * named categories (channels, regions, products, accounts), stacked or diverging around zero.
 *
 * Every mark that carries a value sits under a hit area with a `<title>`: the browser's own tooltip
 * without JavaScript, and the page script's instant tooltip (touch included) with it. All text from
 * data is escaped here; callers pass plain strings.
 */
import { escapeHtml } from './escape';

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies, readable on white. */
export const COLOURS = {
  blue: '#0072B2',
  sky: '#56B4E9',
  orange: '#E69F00',
  vermillion: '#D55E00',
  green: '#009E73',
  purple: '#CC79A7',
  grey: '#7F7F7F',
  black: '#222222',
} as const;

/** Colours for an unordered list of series, in order (yellow left out: too pale on white). */
export const SERIES_COLOURS: readonly string[] = [
  COLOURS.blue,
  COLOURS.orange,
  COLOURS.green,
  COLOURS.vermillion,
  COLOURS.purple,
  COLOURS.sky,
  COLOURS.black,
  COLOURS.grey,
];

/** One data series; `values` line up with the chart's categories, null where there is no value. */
export interface ChartSeries {
  readonly name: string;
  readonly colour: string;
  readonly values: readonly (number | null)[];
}

/** A line over the categories. */
export interface LineSeries extends ChartSeries {
  /** @default 2 */
  readonly strokeWidth?: number;
  /** Draw a dot on every value. @default false */
  readonly dots?: boolean;
  /** @default false */
  readonly dashed?: boolean;
}

/** Options of `columnChart`. */
export interface ColumnChartOptions {
  /** What the chart shows, for screen readers (`aria-label`). */
  readonly label: string;
  /** Ordered categories (e.g. `YYYY-MM-DD` days), left to right. */
  readonly categories: readonly string[];
  /** Tick text of a category. */
  readonly formatCategory: (category: string) => string;
  /** Category as the tooltip names it. @default formatCategory */
  readonly tooltipCategory?: (category: string) => string;
  /** Bars, stacked in order from zero. @default [] */
  readonly bars?: readonly ChartSeries[];
  /** Lines drawn over the bars. @default [] */
  readonly lines?: readonly LineSeries[];
  /** A value as tooltips show it (with its unit). */
  readonly formatValue: (value: number) => string;
  /** A value as the axis shows it (short). */
  readonly formatTick: (value: number) => string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Width of the drawing in SVG units; the page scales it to its box. */
  readonly width: number;
  /** @default 240 */
  readonly height?: number;
}

/** Options of `barChart`. */
export interface BarChartOptions {
  readonly label: string;
  /** Rows, top to bottom: `key` identifies, `label` is shown (truncated to fit, in full in the tooltip). */
  readonly categories: readonly { readonly key: string; readonly label: string }[];
  /** Stacked from zero in order; a single series may hold negative values (bars go left of zero). */
  readonly series: readonly ChartSeries[];
  readonly formatValue: (value: number) => string;
  readonly formatTick: (value: number) => string;
  readonly xLabel: string;
  readonly width: number;
  /** Text printed after each bar (e.g. its total); none when absent. */
  readonly valueLabel?: (index: number) => string;
  /** Colour of one bar of a single-series chart (e.g. by sign). @default the series colour */
  readonly barColour?: (index: number, value: number) => string;
}

/** A scale with round tick values covering [min, max]. */
export interface NiceScale {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
}

const FONT_SIZE = 12;
/** Average glyph width of the system UI font at FONT_SIZE, for layout without a text engine. */
const CHAR_WIDTH = FONT_SIZE * 0.58;

/**
 * Round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) covering `[low, high]`, about `count`
 * of them. An empty or one-value domain still gets a usable scale that includes zero.
 */
export function niceScale(low: number, high: number, count = 5): NiceScale {
  let lo = Number.isFinite(low) ? low : 0;
  let hi = Number.isFinite(high) ? high : 1;
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    if (lo === 0) hi = 1;
    else if (lo > 0) lo = 0;
    else hi = 0;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const step =
    (normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10) *
    magnitude;
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step / 2; i++) ticks.push(Number((min + i * step).toPrecision(12)));
  return { min: ticks[0] ?? min, max: ticks[ticks.length - 1] ?? max, ticks };
}

/** Columns over ordered categories: stacked bars, lines on top, a tooltip per category. */
export function columnChart(options: ColumnChartOptions): string {
  const bars = options.bars ?? [];
  const lines = options.lines ?? [];
  const { categories, width } = options;
  const height = options.height ?? 240;
  const tooltipCategory = options.tooltipCategory ?? options.formatCategory;

  const stackTops = categories.map((_, i) => bars.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0));
  const stackBottoms = categories.map((_, i) =>
    bars.reduce((sum, s) => sum + Math.min(0, s.values[i] ?? 0), 0),
  );
  const lineValues = lines.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const scale = niceScale(
    Math.min(0, ...stackBottoms, ...lineValues),
    Math.max(0, ...stackTops, ...lineValues),
    height >= 200 ? 5 : 4,
  );

  const tickWidth = Math.max(...scale.ticks.map((t) => options.formatTick(t).length)) * CHAR_WIDTH;
  const left = Math.ceil(tickWidth + 30);
  const right = 12;
  const top = 10;
  const bottom = 44;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const band = plotWidth / Math.max(1, categories.length);
  const y = (value: number) =>
    top + plotHeight - ((value - scale.min) / (scale.max - scale.min)) * plotHeight;
  const xCentre = (i: number) => left + band * (i + 0.5);

  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const ty = round(y(tick));
    parts.push(
      `<line class="grid${tick === 0 ? ' zero' : ''}" x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}"/>`,
      `<text class="tick" x="${left - 6}" y="${ty + 4}" text-anchor="end">${escapeHtml(options.formatTick(tick))}</text>`,
    );
  }

  // As many category ticks as fit without overlapping, evenly spaced, always including the first.
  const tickLabelWidth =
    Math.max(1, ...categories.map((c) => options.formatCategory(c).length)) * CHAR_WIDTH + 10;
  const every = Math.max(
    1,
    Math.ceil(categories.length / Math.max(1, Math.floor(plotWidth / tickLabelWidth))),
  );
  categories.forEach((category, i) => {
    if (i % every !== 0) return;
    const tx = round(xCentre(i));
    parts.push(
      `<line class="axis" x1="${tx}" x2="${tx}" y1="${top + plotHeight}" y2="${top + plotHeight + 4}"/>`,
      `<text class="tick" x="${tx}" y="${top + plotHeight + 17}" text-anchor="middle">${escapeHtml(options.formatCategory(category))}</text>`,
    );
  });

  // Few categories would make slabs; a bar is at most 48 units wide.
  const barWidth = Math.min(48, Math.max(1, band * 0.72));
  categories.forEach((_, i) => {
    let positive = 0;
    let negative = 0;
    for (const series of bars) {
      const value = series.values[i] ?? 0;
      if (value === 0) continue;
      const from = value > 0 ? positive : negative;
      const to = from + value;
      if (value > 0) positive = to;
      else negative = to;
      const y1 = y(Math.max(from, to));
      const y2 = y(Math.min(from, to));
      parts.push(
        `<rect class="mark" x="${round(xCentre(i) - barWidth / 2)}" y="${round(y1)}" width="${round(barWidth)}" height="${round(Math.max(0.5, y2 - y1))}" fill="${series.colour}"/>`,
      );
    }
  });

  for (const series of lines) {
    let path = '';
    let drawing = false;
    series.values.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) {
        drawing = false;
        return;
      }
      path += `${drawing ? 'L' : 'M'}${round(xCentre(i))},${round(y(value))}`;
      drawing = true;
    });
    if (path) {
      parts.push(
        `<path class="mark line" d="${path}" fill="none" stroke="${series.colour}" stroke-width="${series.strokeWidth ?? 2}"${series.dashed ? ' stroke-dasharray="5 3"' : ''} stroke-linejoin="round" stroke-linecap="round"/>`,
      );
    }
    if (series.dots) {
      series.values.forEach((value, i) => {
        if (value === null || !Number.isFinite(value)) return;
        parts.push(
          `<circle class="mark" cx="${round(xCentre(i))}" cy="${round(y(value))}" r="2.5" fill="${series.colour}"/>`,
        );
      });
    }
  }

  parts.push(
    `<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotHeight}" y2="${top + plotHeight}"/>`,
    `<text class="axis-label" x="${round(left + plotWidth / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
    `<text class="axis-label" transform="translate(12 ${round(top + plotHeight / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );

  // Hit areas last, so they sit on top and every category has a tooltip.
  categories.forEach((category, i) => {
    const lines_ = [tooltipCategory(category)];
    for (const series of [...bars, ...lines]) {
      const value = series.values[i];
      lines_.push(
        `${series.name}: ${value === null || value === undefined ? 'no data' : options.formatValue(value)}`,
      );
    }
    parts.push(
      `<rect class="hit" x="${round(left + band * i)}" y="${top}" width="${round(band)}" height="${plotHeight}"><title>${escapeHtml(lines_.join('\n'))}</title></rect>`,
    );
  });

  return svg(width, height, options.label, parts);
}

/** Horizontal bars over named categories: stacked series, or one series diverging around zero. */
export function barChart(options: BarChartOptions): string {
  const { categories, series, width } = options;
  const rowHeight = 28;
  const top = 6;
  const bottom = 42;
  const height = top + bottom + rowHeight * Math.max(1, categories.length);

  const positives = categories.map((_, i) =>
    series.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0),
  );
  const negatives = categories.map((_, i) =>
    series.reduce((sum, s) => sum + Math.min(0, s.values[i] ?? 0), 0),
  );
  const labelWidth = Math.min(
    width * 0.36,
    Math.max(...categories.map((c) => c.label.length), 4) * CHAR_WIDTH,
  );
  const left = Math.ceil(labelWidth + 12);
  const valueLabels = categories.map((_, i) => options.valueLabel?.(i) ?? '');
  const right = Math.ceil(Math.max(...valueLabels.map((t) => t.length), 0) * CHAR_WIDTH + 16);
  const plotWidth = width - left - right;
  const scale = niceScale(
    Math.min(0, ...negatives),
    Math.max(0, ...positives),
    Math.max(2, Math.floor(plotWidth / 90)),
  );
  const x = (value: number) => left + ((value - scale.min) / (scale.max - scale.min)) * plotWidth;
  const plotBottom = top + rowHeight * categories.length;

  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const tx = round(x(tick));
    parts.push(
      `<line class="grid${tick === 0 ? ' zero' : ''}" x1="${tx}" x2="${tx}" y1="${top}" y2="${plotBottom}"/>`,
      `<text class="tick" x="${tx}" y="${plotBottom + 16}" text-anchor="middle">${escapeHtml(options.formatTick(tick))}</text>`,
    );
  }
  const maxChars = Math.max(3, Math.floor(labelWidth / CHAR_WIDTH));
  categories.forEach((category, i) => {
    const rowTop = top + rowHeight * i;
    const barTop = rowTop + 5;
    const thickness = rowHeight - 10;
    parts.push(
      `<text class="category" x="${left - 8}" y="${rowTop + rowHeight / 2 + 4}" text-anchor="end">${escapeHtml(truncate(category.label, maxChars))}</text>`,
    );
    let positive = 0;
    let negative = 0;
    for (const s of series) {
      const value = s.values[i] ?? 0;
      if (value === 0) continue;
      const from = value > 0 ? positive : negative;
      const to = from + value;
      if (value > 0) positive = to;
      else negative = to;
      const x1 = x(Math.min(from, to));
      const x2 = x(Math.max(from, to));
      const colour = series.length === 1 && options.barColour ? options.barColour(i, value) : s.colour;
      parts.push(
        `<rect class="mark" x="${round(x1)}" y="${barTop}" width="${round(Math.max(0.5, x2 - x1))}" height="${thickness}" fill="${colour}"/>`,
      );
    }
    const text = valueLabels[i];
    if (text) {
      parts.push(
        `<text class="value" x="${round(x(positive) + 5)}" y="${rowTop + rowHeight / 2 + 4}">${escapeHtml(text)}</text>`,
      );
    }
  });
  parts.push(
    `<line class="axis" x1="${left}" x2="${left + plotWidth}" y1="${plotBottom}" y2="${plotBottom}"/>`,
    `<text class="axis-label" x="${round(left + plotWidth / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
  );
  categories.forEach((category, i) => {
    const lines = [category.label];
    for (const s of series) {
      const value = s.values[i];
      lines.push(
        `${s.name}: ${value === null || value === undefined ? 'no data' : options.formatValue(value)}`,
      );
    }
    if (series.length > 1)
      lines.push(`total: ${options.formatValue((positives[i] ?? 0) + (negatives[i] ?? 0))}`);
    parts.push(
      `<rect class="hit" x="0" y="${top + rowHeight * i}" width="${width}" height="${rowHeight}"><title>${escapeHtml(lines.join('\n'))}</title></rect>`,
    );
  });
  return svg(width, height, options.label, parts);
}

function svg(width: number, height: number, label: string, parts: readonly string[]): string {
  return `<svg class="chart-svg" viewBox="0 0 ${width} ${round(height)}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
