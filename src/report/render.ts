/**
 * The report page as one HTML string, a pure function of the fetched data: no engine, no files, no
 * clock (the build time is passed in). Each block renders its chart or table, or a readable
 * "No data for this range." with the engine's reason in small print when its query failed.
 */
import { escapeHtml } from './escape';
import {
  eachDay,
  formatAge,
  formatCompact,
  formatDate,
  formatDayShort,
  formatMonth,
  formatNumber,
  formatPercent,
  formatSeconds,
  formatSigned,
  formatTimestamp,
} from './format';
import { contentSecurityPolicy, REPORT_CSS, REPORT_SCRIPT } from './page-assets';
import type { BalanceMoveRow, Fetched, KpiPeriodRow, ReportData } from './queries';
import {
  barChart,
  type ChartSeries,
  COLOURS,
  columnChart,
  type LineSeries,
  SERIES_COLOURS,
} from './svg-charts';

/** Where the data came from, for the footer. */
export interface RenderContext {
  /** Engine name (`duckdb`, `athena`). */
  readonly engine: string;
  /** Lake folder or `athena://workgroup/database`. */
  readonly source: string;
  readonly builtAt: Date;
  /** Queries run to build the page. */
  readonly queries?: number;
}

/** The sentence every empty block shows. */
export const NO_DATA_TEXT = 'No data for this range.';

/** Chart widths in SVG units: the laptop layout (two columns) and the phone layout (one narrow column). */
const WIDE = 600;
const NARROW = 340;
/** Rule series drawn separately in the rejections chart; the rest are summed as "other rules". */
const REJECTION_SERIES = 6;

/** Renders the whole page. */
export function renderReport(data: ReportData, context: RenderContext): string {
  const { range } = data;
  const title = `ledgerlake report · ${formatDate(range.from)} – ${formatDate(range.to)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="generator" content="ledgerlake">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="page">
<h1>Payments and sales report</h1>
<p class="lede">${escapeHtml(formatDate(range.from))} – ${escapeHtml(formatDate(range.to))} (${range.days} ${plural(range.days, 'day')}), compared with the ${range.days} ${plural(range.days, 'day')} before (${escapeHtml(formatDate(range.previousFrom))} – ${escapeHtml(formatDate(range.previousTo))}). Days are UTC.</p>
</header>
<main class="page">
${kpiSection(data)}
${trendsSection(data)}
${channelsSection(data)}
${salesSection(data)}
${balancesSection(data)}
${qualitySection(data, context.builtAt)}
</main>
${footer(data, context)}
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Sections

function kpiSection(data: ReportData): string {
  const current = data.kpis.rows.find((r) => r.period === 'current');
  const previous = data.kpis.rows.find((r) => r.period === 'previous');
  const intro =
    'Successful transactions earn revenue (amount × channel fee); failure rate counts failed among all.';
  if (!current || current.transactionCount === 0) {
    return section('kpis', 'Key figures', intro, `<div class="card">${emptyState(data.kpis.error)}</div>`);
  }
  const { range } = data;
  const vs = previousLabel(previous, range.days);
  const unit = current.currency ?? 'mixed currencies';
  const failureRate = (row: KpiPeriodRow | undefined) =>
    row && row.transactionCount > 0 ? row.failedCount / row.transactionCount : null;
  const cards = [
    kpiCard(
      'Revenue',
      formatNumber(current.revenue, 2),
      unit,
      relativeChange(current.revenue, previous?.revenue),
      'up',
      vs,
    ),
    kpiCard(
      'Transactions',
      formatNumber(current.transactionCount),
      '',
      relativeChange(current.transactionCount, previous?.transactionCount),
      'up',
      vs,
    ),
    kpiCard(
      'Failure rate',
      formatPercent(failureRate(current) ?? 0),
      '',
      pointChange(failureRate(current), failureRate(previous)),
      'down',
      vs,
    ),
    kpiCard(
      'Avg processing time',
      current.avgProcessingTimeS === null ? '–' : current.avgProcessingTimeS.toFixed(2),
      's',
      relativeChange(current.avgProcessingTimeS, previous?.avgProcessingTimeS ?? null),
      'down',
      vs,
    ),
  ];
  return section('kpis', 'Key figures', intro, `<div class="kpis">${cards.join('\n')}</div>`);
}

interface Change {
  readonly value: number;
  readonly text: string;
}

function relativeChange(current: number | null, previous: number | null | undefined): Change | null {
  if (current === null || previous === null || previous === undefined || previous === 0) return null;
  const value = (current - previous) / Math.abs(previous);
  return { value, text: formatSigned(formatPercent(Math.abs(value)), value) };
}

function pointChange(current: number | null, previous: number | null): Change | null {
  if (current === null || previous === null) return null;
  const value = (current - previous) * 100;
  return { value, text: formatSigned(`${Math.abs(value).toFixed(1)} pp`, Number(value.toFixed(1))) };
}

function previousLabel(previous: KpiPeriodRow | undefined, days: number): string {
  if (!previous || previous.daysWithData === 0)
    return `no data in the previous ${days} ${plural(days, 'day')}`;
  if (previous.daysWithData < days) {
    return `vs previous period (only ${previous.daysWithData} of ${days} days have data)`;
  }
  return 'vs previous period';
}

function kpiCard(
  title: string,
  value: string,
  unit: string,
  change: Change | null,
  better: 'up' | 'down',
  vs: string,
): string {
  let changeHtml: string;
  if (change === null) {
    changeHtml = `<p class="kpi-change flat">${escapeHtml(vs.startsWith('no data') ? vs : `– ${vs}`)}</p>`;
  } else {
    const rounded = Number(change.value.toFixed(3));
    const tone = rounded === 0 ? 'flat' : rounded > 0 === (better === 'up') ? 'good' : 'bad';
    const arrow = rounded > 0 ? '▲' : rounded < 0 ? '▼' : '■';
    changeHtml = `<p class="kpi-change ${tone}">${arrow} ${escapeHtml(change.text)} <span class="vs">${escapeHtml(vs)}</span></p>`;
  }
  return `<article class="card kpi"><h3>${escapeHtml(title)}</h3><p class="kpi-value">${escapeHtml(value)}${unit ? ` <span class="unit">${escapeHtml(unit)}</span>` : ''}</p>${changeHtml}</article>`;
}

function trendsSection(data: ReportData): string {
  const days = eachDay(data.range.from, data.range.to);
  const byDay = new Map(data.trends.rows.map((r) => [r.day, r]));
  const pick = (f: (r: (typeof data.trends.rows)[number]) => number | null) =>
    days.map((day) => {
      const row = byDay.get(day);
      return row ? f(row) : null;
    });
  const hasRows = data.trends.rows.length > 0;
  const unit = data.kpis.rows.find((r) => r.period === 'current')?.currency ?? 'amount';
  const daily = (colour: string): Partial<LineSeries> => ({ colour, strokeWidth: 1.2, dots: true });
  const movingAverage = (colour: string): Partial<LineSeries> => ({ colour, strokeWidth: 2.6 });
  const common = {
    categories: days,
    formatCategory: formatDayShort,
    tooltipCategory: formatDate,
    xLabel: 'day (UTC)',
  };

  const revenue = card({
    title: 'Daily revenue',
    subtitle: `Fees earned on successful transactions, ${unit} per day, with the 7-day moving average.`,
    legend: [
      { name: 'revenue', colour: COLOURS.sky, kind: 'bar' },
      { name: '7-day average', colour: COLOURS.blue, kind: 'line' },
    ],
    body: hasRows
      ? responsive((width) =>
          columnChart({
            ...common,
            label: 'Daily revenue with its 7-day moving average',
            width,
            bars: [{ name: 'revenue', colour: COLOURS.sky, values: pick((r) => r.revenue) }],
            lines: [
              {
                name: '7-day average',
                values: pick((r) => r.revenue7dAvg),
                ...movingAverage(COLOURS.blue),
              } as LineSeries,
            ],
            formatValue: (v) => `${formatNumber(v, 2)} ${unit}`,
            formatTick: formatCompact,
            yLabel: `revenue (${unit})`,
          }),
        )
      : null,
    error: data.trends.error,
  });
  const failure = card({
    title: 'Failure rate',
    subtitle: 'Failed transactions as a share of all transactions per day, with the 7-day moving average.',
    legend: [
      { name: 'daily', colour: COLOURS.orange, kind: 'dots' },
      { name: '7-day average', colour: COLOURS.vermillion, kind: 'line' },
    ],
    body: hasRows
      ? responsive((width) =>
          columnChart({
            ...common,
            label: 'Daily failure rate with its 7-day moving average',
            width,
            lines: [
              { name: 'daily', values: pick((r) => r.failureRate), ...daily(COLOURS.orange) } as LineSeries,
              {
                name: '7-day average',
                values: pick((r) => r.failureRate7dAvg),
                ...movingAverage(COLOURS.vermillion),
              } as LineSeries,
            ],
            formatValue: (v) => formatPercent(v, 2),
            formatTick: percentTick,
            yLabel: 'failure rate (%)',
          }),
        )
      : null,
    error: data.trends.error,
  });
  const processing = card({
    title: 'Processing time',
    subtitle: 'Average seconds from submission to outcome per day, with the 7-day moving average.',
    legend: [
      { name: 'daily', colour: COLOURS.purple, kind: 'dots' },
      { name: '7-day average', colour: COLOURS.green, kind: 'line' },
    ],
    body: hasRows
      ? responsive((width) =>
          columnChart({
            ...common,
            label: 'Daily average processing time with its 7-day moving average',
            width,
            lines: [
              {
                name: 'daily',
                values: pick((r) => r.avgProcessingTimeS),
                ...daily(COLOURS.purple),
              } as LineSeries,
              {
                name: '7-day average',
                values: pick((r) => r.avgProcessingTimeS7dAvg),
                ...movingAverage(COLOURS.green),
              } as LineSeries,
            ],
            formatValue: formatSeconds,
            formatTick: (v) => `${Number(v.toFixed(2))} s`,
            yLabel: 'processing time (s)',
          }),
        )
      : null,
    error: data.trends.error,
  });
  return section(
    'trends',
    'Trends',
    'Day by day over the range; the moving average also counts the days before it.',
    `<div class="grid">${revenue}${failure}${processing}</div>`,
  );
}

function channelsSection(data: ReportData): string {
  const rows = [...data.channels.rows].sort(
    (a, b) =>
      rate(b.failedCount, b.transactionCount) - rate(a.failedCount, a.transactionCount) ||
      a.channel.localeCompare(b.channel),
  );
  const categories = rows.map((r) => ({ key: r.channel, label: r.displayName || r.channel }));
  const has = rows.length > 0;
  const failure = card({
    title: 'Failure rate by channel',
    subtitle: 'Failed transactions as a share of each channel’s transactions in the range.',
    body: has
      ? responsive((width) =>
          barChart({
            label: 'Failure rate by payment channel',
            width,
            categories,
            series: [
              {
                name: 'failure rate',
                colour: COLOURS.vermillion,
                values: rows.map((r) => rate(r.failedCount, r.transactionCount)),
              },
            ],
            formatValue: (v) => formatPercent(v, 2),
            formatTick: percentTick,
            valueLabel: (i) => {
              const row = rows[i]!;
              return `${formatPercent(rate(row.failedCount, row.transactionCount))} of ${formatNumber(row.transactionCount)}`;
            },
            xLabel: 'failure rate (%)',
          }),
        )
      : null,
    error: data.channels.error,
  });
  const byTime = [...rows].sort((a, b) => (b.avgProcessingTimeS ?? 0) - (a.avgProcessingTimeS ?? 0));
  const timing = card({
    title: 'Processing time by channel',
    subtitle: 'Average seconds from submission to outcome, all statuses.',
    body: has
      ? responsive((width) =>
          barChart({
            label: 'Average processing time by payment channel',
            width,
            categories: byTime.map((r) => ({ key: r.channel, label: r.displayName || r.channel })),
            series: [
              {
                name: 'avg processing time',
                colour: COLOURS.green,
                values: byTime.map((r) => r.avgProcessingTimeS),
              },
            ],
            formatValue: formatSeconds,
            formatTick: (v) => `${Number(v.toFixed(2))} s`,
            valueLabel: (i) => {
              const value = byTime[i]!.avgProcessingTimeS;
              return value === null ? '' : formatSeconds(value);
            },
            xLabel: 'average processing time (s)',
          }),
        )
      : null,
    error: data.channels.error,
  });
  return section(
    'channels',
    'Channels',
    'How each payment channel performs over the range.',
    `<div class="grid">${failure}${timing}</div>`,
  );
}

function salesSection(data: ReportData): string {
  const mix = data.salesMix.rows;
  const regions = totalsBy(
    mix,
    (r) => r.region,
    (r) => r.totalValue,
  );
  const categoriesOfProducts = totalsBy(
    mix,
    (r) => r.category,
    (r) => r.totalValue,
  );
  const cell = new Map(mix.map((r) => [`${r.region}\u0000${r.category}`, r]));
  const regionCategory = card({
    title: 'Sales by region and category',
    subtitle: 'Order value after discounts; each bar is a region, split by product category.',
    legend: categoriesOfProducts.map(([name], i) => ({
      name,
      colour: seriesColour(i),
      kind: 'bar' as const,
    })),
    body:
      mix.length > 0
        ? responsive((width) =>
            barChart({
              label: 'Sales value by region, split by product category',
              width,
              categories: regions.map(([region]) => ({ key: region, label: region })),
              series: categoriesOfProducts.map(
                ([category], i): ChartSeries => ({
                  name: category,
                  colour: seriesColour(i),
                  values: regions.map(([region]) => cell.get(`${region}\u0000${category}`)?.totalValue ?? 0),
                }),
              ),
              formatValue: (v) => formatNumber(v, 2),
              formatTick: formatCompact,
              valueLabel: (i) => formatCompact(regions[i]![1]),
              xLabel: 'sales value',
            }),
          )
        : null,
    error: data.salesMix.error,
  });

  const products = data.topProducts.rows;
  const top = card({
    title: 'Top 5 products',
    subtitle: 'Products with the highest order value in the range.',
    body:
      products.length > 0
        ? responsive((width) =>
            barChart({
              label: 'Top five products by sales value',
              width,
              categories: products.map((p) => ({
                key: p.productId,
                label: p.category ? `${p.productName} (${p.category})` : p.productName,
              })),
              series: [
                { name: 'sales value', colour: COLOURS.blue, values: products.map((p) => p.totalValue) },
              ],
              formatValue: (v) => formatNumber(v, 2),
              formatTick: formatCompact,
              valueLabel: (i) =>
                width > NARROW
                  ? `${formatCompact(products[i]!.totalValue)} · ${formatNumber(products[i]!.units)} units`
                  : formatCompact(products[i]!.totalValue),
              xLabel: 'sales value',
            }),
          )
        : null,
    error: data.topProducts.error,
  });

  const months = data.monthlySales.rows;
  const monthly = card({
    title: 'Monthly sales',
    subtitle: 'Order value per whole month, for the 12 months up to the end of the range.',
    body:
      months.length > 0
        ? responsive((width) =>
            columnChart({
              label: 'Sales value per month',
              width,
              categories: months.map((m) => m.monthStart),
              formatCategory: formatMonth,
              bars: [{ name: 'sales value', colour: COLOURS.green, values: months.map((m) => m.totalValue) }],
              lines: [],
              formatValue: (v) => formatNumber(v, 2),
              formatTick: formatCompact,
              xLabel: 'month',
              yLabel: 'sales value',
            }),
          )
        : null,
    error: data.monthlySales.error,
  });

  const discounts = totalsBy(
    mix,
    (r) => r.region,
    (r) => r.discountSum,
  ).map(([region, discountSum]) => {
    const lines = mix.filter((r) => r.region === region).reduce((sum, r) => sum + r.discountedLines, 0);
    return { region, average: lines > 0 ? discountSum / lines : 0 };
  });
  discounts.sort((a, b) => b.average - a.average || a.region.localeCompare(b.region));
  const discount = card({
    title: 'Average discount by region',
    subtitle: 'Mean discount per order line, as a share of the list price.',
    body:
      mix.length > 0
        ? responsive((width) =>
            barChart({
              label: 'Average discount by region',
              width,
              categories: discounts.map((r) => ({ key: r.region, label: r.region })),
              series: [
                { name: 'average discount', colour: COLOURS.purple, values: discounts.map((r) => r.average) },
              ],
              formatValue: (v) => formatPercent(v, 2),
              formatTick: percentTick,
              valueLabel: (i) => formatPercent(discounts[i]!.average),
              xLabel: 'average discount (%)',
            }),
          )
        : null,
    error: data.salesMix.error,
  });
  return section(
    'sales',
    'Sales',
    'Shop orders over the range (value = quantity × price × (1 − discount)).',
    `<div class="grid">${regionCategory}${top}${monthly}${discount}</div>`,
  );
}

function balancesSection(data: ReportData): string {
  const accounts = movesCard(
    'Accounts with the largest moves',
    'Closing balance at the end of the range minus the opening balance at its start (successful transactions only).',
    'account',
    data.accountMoves,
  );
  const organizations = movesCard(
    'Organizations with the largest moves',
    'Open balance (accrued minus accepted payments) at the last snapshot in the range minus the first.',
    'organization',
    data.organizationMoves,
  );
  const days = eachDay(data.range.from, data.range.to);
  const rules = totalsBy(
    data.alertsPerDay.rows,
    (r) => r.rule,
    (r) => r.alerts,
  );
  const count = new Map(data.alertsPerDay.rows.map((r) => [`${r.day}\u0000${r.rule}`, r.alerts]));
  const total = rules.reduce((sum, [, n]) => sum + n, 0);
  const alerts = card({
    title: 'Alerts raised per day',
    subtitle:
      total > 0
        ? `${formatNumber(total)} balance ${plural(total, 'move')} breached an alert rule in the range; each is alerted once.`
        : 'Balance moves that breached an alert rule; each is alerted once.',
    legend: rules.map(([name], i) => ({ name, colour: seriesColour(i), kind: 'bar' as const })),
    body:
      total > 0
        ? responsive((width) =>
            columnChart({
              label: 'Alerts raised per day, by rule',
              width,
              categories: days,
              formatCategory: formatDayShort,
              tooltipCategory: formatDate,
              bars: rules.map(([rule], i) => ({
                name: rule,
                colour: seriesColour(i),
                values: days.map((day) => count.get(`${day}\u0000${rule}`) ?? 0),
              })),
              formatValue: (v) => formatNumber(v),
              formatTick: (v) => (Number.isInteger(v) ? formatNumber(v) : ''),
              xLabel: 'balance date (UTC)',
              yLabel: 'alerts',
            }),
          )
        : null,
    error: data.alertsPerDay.error,
  });
  return section(
    'balances',
    'Balances and alerts',
    'Where money moved most, and the sharp moves the alert rules caught.',
    `<div class="grid">${accounts}${organizations}${alerts}</div>`,
  );
}

function movesCard(
  title: string,
  subtitle: string,
  entity: string,
  fetched: Fetched<BalanceMoveRow>,
): string {
  const rows = fetched.rows;
  const body =
    rows.length > 0
      ? responsive((width) =>
          barChart({
            label: `${title}: change of balance over the range`,
            width,
            categories: rows.map((r) => ({
              key: r.entityId,
              label: ownerShown(r) ? `${r.entityId} (${r.owner})` : r.entityId,
            })),
            series: [
              {
                name: 'change',
                colour: COLOURS.blue,
                values: rows.map((r) => r.endBalance - r.startBalance),
              },
            ],
            barColour: (_, value) => (value < 0 ? COLOURS.vermillion : COLOURS.blue),
            formatValue: (v) => formatSigned(formatNumber(Math.abs(v), 2), v),
            formatTick: (v) => formatSigned(formatCompact(Math.abs(v)), v),
            xLabel: 'change of balance (− down, + up)',
          }),
        ) + movesTable(entity, rows)
      : null;
  return card({ title, subtitle, body, error: fetched.error });
}

function movesTable(entity: string, rows: readonly BalanceMoveRow[]): string {
  const body = rows
    .map((r) => {
      const change = r.endBalance - r.startBalance;
      const share = r.startBalance !== 0 ? change / Math.abs(r.startBalance) : null;
      const direction = change > 0 ? 'up' : change < 0 ? 'down' : '';
      const who =
        escapeHtml(r.entityId) +
        (ownerShown(r) && r.owner ? ` <span class="sub">(${escapeHtml(r.owner)})</span>` : '');
      return `<tr><td>${who}</td><td class="num">${formatNumber(r.startBalance, 2)}</td><td class="num">${formatNumber(r.endBalance, 2)}</td><td class="num ${direction}">${escapeHtml(formatSigned(formatNumber(Math.abs(change), 2), change))}</td><td class="num ${direction}">${share === null ? 'from zero' : escapeHtml(formatSigned(formatPercent(Math.abs(share)), share))}</td></tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table><thead><tr><th>${escapeHtml(entity)}</th><th class="num">start</th><th class="num">end</th><th class="num">change</th><th class="num">change %</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

/** The owner adds nothing when it is the entity's own id (accounts named after their customer). */
function ownerShown(row: BalanceMoveRow): boolean {
  return row.owner !== null && row.owner !== row.entityId;
}

function qualitySection(data: ReportData, builtAt: Date): string {
  const days = eachDay(data.range.from, data.range.to);
  const ranked = totalsBy(
    data.rejections.rows,
    (r) => `${r.dataset} · ${r.ruleId}`,
    (r) => r.rejectedRows,
  );
  const shown = ranked.slice(0, REJECTION_SERIES).map(([name]) => name);
  const others = ranked.length > shown.length;
  const perDay = new Map<string, number>();
  for (const row of data.rejections.rows) {
    const name = `${row.dataset} · ${row.ruleId}`;
    const series = shown.includes(name) ? name : 'other rules';
    const key = `${row.day}\u0000${series}`;
    perDay.set(key, (perDay.get(key) ?? 0) + row.rejectedRows);
  }
  const seriesNames = others ? [...shown, 'other rules'] : shown;
  const rejections = card({
    title: 'Rows rejected per day, by dataset and rule',
    subtitle:
      'Quarantined rows by the rule they broke (a row that broke several rules counts under each); partition day (UTC).',
    legend: seriesNames.map((name, i) => ({ name, colour: seriesColour(i), kind: 'bar' as const })),
    body:
      ranked.length > 0
        ? responsive((width) =>
            columnChart({
              label: 'Quarantined rows per day, by dataset and rule',
              width,
              categories: days,
              formatCategory: formatDayShort,
              tooltipCategory: formatDate,
              bars: seriesNames.map((name, i) => ({
                name,
                colour: seriesColour(i),
                values: days.map((day) => perDay.get(`${day}\u0000${name}`) ?? 0),
              })),
              formatValue: (v) => `${formatNumber(v)} rows`,
              formatTick: (v) => (Number.isInteger(v) ? formatCompact(v) : ''),
              xLabel: 'day (UTC)',
              yLabel: 'rows rejected',
            }),
          )
        : null,
    error: data.rejections.error,
  });

  const quality = new Map(data.datasetQuality.rows.map((r) => [r.dataset, r]));
  const freshness = new Map(data.freshness.rows.map((r) => [r.dataset, r]));
  const datasets = [...new Set([...quality.keys(), ...freshness.keys()])].sort();
  const rows = datasets
    .map((dataset) => {
      const q = quality.get(dataset);
      const f = freshness.get(dataset);
      const total = (q?.validRows ?? 0) + (q?.quarantinedRows ?? 0);
      const age = f?.lastIngestedAt
        ? `<span title="${escapeHtml(formatTimestamp(f.lastIngestedAt))}">${escapeHtml(formatAge(f.lastIngestedAt, builtAt))} ago</span>`
        : '–';
      const files =
        f && f.filesRejected > 0
          ? ` <span class="sub">(${formatNumber(f.filesRejected)} ${plural(f.filesRejected, 'file')} rejected)</span>`
          : '';
      return `<tr><td>${escapeHtml(dataset)}${files}</td><td class="num">${q ? formatNumber(q.validRows) : '–'}</td><td class="num">${q ? formatNumber(q.quarantinedRows) : '–'}</td><td class="num">${total > 0 ? formatPercent((q?.quarantinedRows ?? 0) / total) : '–'}</td><td>${age}</td><td>${f?.latestPartition ? escapeHtml(f.latestPartition) : '–'}</td></tr>`;
    })
    .join('');
  const reasons = [data.datasetQuality.error, data.freshness.error].filter((e): e is string => Boolean(e));
  const table = card({
    title: 'Datasets: rejected share and freshness',
    subtitle:
      'Valid and quarantined rows in the range; the last ingest and latest day with rows, as of the build.',
    body:
      datasets.length > 0
        ? `<div class="table-wrap"><table><thead><tr><th>dataset</th><th class="num">valid rows</th><th class="num">quarantined</th><th class="num">rejected</th><th>last ingest</th><th>latest day</th></tr></thead><tbody>${rows}</tbody></table></div>${reasons.map((r) => `<p class="note">${escapeHtml(r)}</p>`).join('')}`
        : null,
    error: reasons.join(' · ') || undefined,
  });
  return section(
    'quality',
    'Data quality',
    'Rows that failed their dataset contract went to quarantine with a reason; freshness says whether the lake is being fed.',
    `<div class="grid">${rejections}${table}</div>`,
  );
}

function footer(data: ReportData, context: RenderContext): string {
  const { range } = data;
  return `<footer class="page"><dl>
<dt>Source</dt><dd>${escapeHtml(context.engine)} · ${escapeHtml(context.source)}</dd>
<dt>Range</dt><dd>${escapeHtml(range.from)} to ${escapeHtml(range.to)} (${range.days} ${plural(range.days, 'day')}, UTC); compared with ${escapeHtml(range.previousFrom)} to ${escapeHtml(range.previousTo)}</dd>
<dt>Built</dt><dd>${escapeHtml(context.builtAt.toISOString().replace('T', ' ').slice(0, 19))} UTC${context.queries === undefined ? '' : ` from ${context.queries} queries`} by ledgerlake report</dd>
</dl></footer>`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

interface LegendEntry {
  readonly name: string;
  readonly colour: string;
  readonly kind: 'bar' | 'line' | 'dots';
}

function section(id: string, title: string, intro: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${escapeHtml(title)}</h2><p class="section-intro">${escapeHtml(intro)}</p>${body}</section>`;
}

function card(options: {
  readonly title: string;
  readonly subtitle: string;
  readonly legend?: readonly LegendEntry[];
  /** The chart or table; null renders the empty state. */
  readonly body: string | null;
  readonly error?: string;
}): string {
  const legend =
    options.body && options.legend && options.legend.length > 0
      ? `<ul class="legend">${options.legend
          .map(
            (entry) =>
              `<li><span class="swatch${entry.kind === 'bar' ? '' : entry.kind === 'dots' ? ' line dotted' : ' line'}" style="${entry.kind === 'bar' ? 'background' : 'border-color'}:${entry.colour}"></span>${escapeHtml(entry.name)}</li>`,
          )
          .join('')}</ul>`
      : '';
  return `<figure class="card"><h3>${escapeHtml(options.title)}</h3><p class="sub">${escapeHtml(options.subtitle)}</p>${legend}${options.body ?? emptyState(options.error)}</figure>`;
}

function emptyState(reason: string | undefined): string {
  return `<div class="empty"><p>${NO_DATA_TEXT}</p>${reason ? `<p class="reason">${escapeHtml(reason)}</p>` : ''}</div>`;
}

/** The chart drawn for the laptop layout and for the phone layout; CSS shows the one that fits. */
function responsive(render: (width: number) => string): string {
  return `<div class="chart"><div class="chart-wide">${render(WIDE)}</div><div class="chart-narrow">${render(NARROW)}</div></div>`;
}

/** Sums `value` per key; largest first, ties by name. */
function totalsBy<T>(
  rows: readonly T[],
  key: (row: T) => string,
  value: (row: T) => number,
): [string, number][] {
  const totals = new Map<string, number>();
  for (const row of rows) {
    totals.set(key(row), (totals.get(key(row)) ?? 0) + value(row));
  }
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function seriesColour(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!;
}

/** Axis percentages: whole percents when the tick is one, else one decimal (`2.5%`). */
function percentTick(share: number): string {
  const percent = Number((share * 100).toFixed(6));
  return formatPercent(share, Number.isInteger(percent) ? 0 : 1);
}

function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
