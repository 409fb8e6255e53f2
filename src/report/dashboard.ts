/**
 * The dashboard page as one HTML string, a pure function of the fetched cubes: the static shell
 * (filters, section and card skeletons, headings), the cubes as one compact JSON block (columns of
 * small integers: days as offsets, names as dictionary indexes, money in cents or millionths), the
 * CSS and the script that draws the views. Nothing is loaded from anywhere.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FetchedCube, ReportCubes, ReportSpan } from './cubes';
import { LEAD_IN_DAYS, REPORT_ALERTS } from './cubes';
import { DASHBOARD_SCRIPT } from './dashboard-script';
import { escapeHtml } from './escape';
import { addDays, daysInclusive, formatDate, formatTimestamp } from './format';
import { REPORT_CSS } from './page-assets';

/** Where the data came from, for the footer. */
export interface RenderContext {
  readonly engine: string;
  readonly source: string;
  readonly builtAt: Date;
  readonly queries: number;
}

/** What the page opens on: the selected days (a URL fragment may choose others). */
export interface InitialSelection {
  readonly from: string;
  readonly to: string;
}

/** Aligned columns of numbers, one array per name. */
type Columns<K extends string> = { readonly [P in K]: number[] };

/** The JSON block the page script reads; every `d` column holds day steps (see `deltas`). Exported for the size script and the tests. */
export interface DashboardPayload {
  readonly span: {
    readonly from: string;
    readonly to: string;
    readonly dataFrom: string;
    readonly selectFrom: string;
    readonly selectTo: string;
  };
  readonly currency: string | null;
  readonly dims: {
    readonly channels: [string, string][];
    readonly cities: [string, string, string, string][];
    readonly segments: string[];
    readonly categories: string[];
    readonly datasets: string[];
    readonly rules: string[];
    /** Products held in portfolios (`portfolio.p` indexes it) and stock items (`inventory.p`). */
    readonly products: string[];
    readonly skus: string[];
  };
  readonly tx: Columns<'d' | 'ch' | 'ci' | 'sg' | 'n' | 'f' | 'rev' | 'ptMs' | 'ptN'>;
  readonly sales: Columns<'d' | 'cat' | 'ci' | 'sg' | 'lines' | 'units' | 'cents' | 'disc' | 'discN'>;
  readonly balances: Columns<'d' | 'ci' | 'sg' | 'n' | 'close' | 'inflow' | 'outflow'>;
  /** Units in hundredths, values in cents. */
  readonly portfolio: Columns<'d' | 'p' | 'clients' | 'held' | 'lien' | 'avail' | 'value' | 'valued'>;
  readonly inventory: Columns<'d' | 'p' | 'locs' | 'neg' | 'onHand' | 'recv' | 'issued'>;
  /** Per account (`ids`) its rows; per row the step in days from the previous one and the move. */
  readonly accounts: {
    ids: string[];
    customers: (string | null)[];
    rows: number[];
    firstClose: number[];
    step: number[];
    chg: number[];
  };
  readonly alerts: Record<string, unknown>;
  readonly quality: Columns<'d' | 'ds' | 'valid' | 'quar'>;
  readonly rejections: Columns<'d' | 'ds' | 'rule' | 'rows'>;
  readonly errors: Record<string, string>;
}

/** Builds the payload from the cubes: dictionaries for names, day offsets, integer measures. */
export function dashboardPayload(
  cubes: ReportCubes,
  span: ReportSpan,
  selection: InitialSelection,
  currency: string | null,
): DashboardPayload {
  const dataFrom = addDays(span.from, -LEAD_IN_DAYS);
  const dayOf = (value: unknown) => daysInclusive(dataFrom, String(value)) - 1;
  const col = (cube: FetchedCube, name: string) => cube.columns[name] ?? [];
  const nums = (cube: FetchedCube, name: string) => col(cube, name).map((v) => (v === null ? 0 : Number(v)));

  const channels: [string, string][] = col(cubes.channels, 'channel').map((c, i) => [
    String(c),
    String(col(cubes.channels, 'display_name')[i] ?? c),
  ]);
  const cities: [string, string, string, string][] = col(cubes.cities, 'city_key').map((key, i) => [
    String(key),
    String(col(cubes.cities, 'city_name')[i] ?? key),
    String(col(cubes.cities, 'state')[i] ?? 'unknown'),
    String(col(cubes.cities, 'region')[i] ?? 'unknown'),
  ]);
  const channelIndex = dictionary(channels.map((c) => c[0]));
  const cityIndex = dictionary(cities.map((c) => c[0]));
  const segmentIndex = dictionary([]);
  const categoryIndex = dictionary([]);
  const datasetIndex = dictionary([]);
  const ruleIndex = dictionary([]);
  // Names the dimension queries did not list (e.g. a channel missing from dim_channel) still count.
  const channelOf = (v: unknown) => {
    const key = String(v ?? 'unknown');
    const before = channelIndex.values.length;
    const i = channelIndex.of(key);
    if (channelIndex.values.length > before) channels.push([key, key]);
    return i;
  };
  const cityOf = (v: unknown) => {
    const key = String(v ?? 'unknown');
    const before = cityIndex.values.length;
    const i = cityIndex.of(key);
    if (cityIndex.values.length > before) cities.push([key, key, 'unknown', 'unknown']);
    return i;
  };

  const t = cubes.transactions;
  const tx = {
    d: col(t, 'day').map(dayOf),
    ch: col(t, 'channel').map(channelOf),
    ci: col(t, 'city_key').map(cityOf),
    sg: col(t, 'segment').map((v) => segmentIndex.of(String(v ?? 'unknown'))),
    n: nums(t, 'transaction_count'),
    f: nums(t, 'failed_count'),
    rev: nums(t, 'revenue_micros'),
    ptMs: nums(t, 'processing_ms'),
    ptN: nums(t, 'processing_count'),
  };
  const s = cubes.sales;
  const sales = {
    d: col(s, 'day').map(dayOf),
    cat: col(s, 'category').map((v) => categoryIndex.of(String(v ?? 'unknown'))),
    ci: col(s, 'city_key').map(cityOf),
    sg: col(s, 'segment').map((v) => segmentIndex.of(String(v ?? 'unknown'))),
    lines: nums(s, 'order_lines'),
    units: nums(s, 'units'),
    cents: nums(s, 'value_cents'),
    disc: nums(s, 'discount_e4'),
    discN: nums(s, 'discounted_lines'),
  };
  const b = cubes.balances;
  const balances = {
    d: col(b, 'day').map(dayOf),
    ci: col(b, 'city_key').map(cityOf),
    sg: col(b, 'segment').map((v) => segmentIndex.of(String(v ?? 'unknown'))),
    n: nums(b, 'accounts'),
    close: nums(b, 'closing_cents'),
    inflow: nums(b, 'inflow_cents'),
    outflow: nums(b, 'outflow_cents'),
  };
  const productIndex = dictionary([]);
  const skuIndex = dictionary([]);
  const pf = cubes.portfolio;
  const portfolio = {
    d: col(pf, 'day').map(dayOf),
    p: col(pf, 'product_id').map((v) => productIndex.of(String(v))),
    clients: nums(pf, 'clients'),
    held: nums(pf, 'held_e2'),
    lien: nums(pf, 'lien_e2'),
    avail: nums(pf, 'available_e2'),
    value: nums(pf, 'value_cents'),
    valued: nums(pf, 'valued'),
  };
  const inv = cubes.inventory;
  const inventory = {
    d: col(inv, 'day').map(dayOf),
    p: col(inv, 'product_id').map((v) => skuIndex.of(String(v))),
    locs: nums(inv, 'locations'),
    neg: nums(inv, 'negative_locations'),
    onHand: nums(inv, 'on_hand_e2'),
    recv: nums(inv, 'received_e2'),
    issued: nums(inv, 'issued_e2'),
  };
  // Accounts: per account its first closing balance and, per row, the day (as a step from the
  // account's previous row) and the move; openings and later closings follow by summing.
  const a = cubes.accountDays;
  const ids: string[] = [];
  const customers: (string | null)[] = [];
  const rowsPerAccount: number[] = [];
  const firstClose: number[] = [];
  const steps: number[] = [];
  const moves: number[] = [];
  const accountIds = col(a, 'account_id');
  const accountCustomers = col(a, 'customer_id');
  const accountDays = col(a, 'day').map(dayOf);
  const changes = nums(a, 'change_cents');
  const closings = nums(a, 'closing_cents');
  accountIds.forEach((id, i) => {
    const newAccount = i === 0 || accountIds[i - 1] !== id;
    if (newAccount) {
      ids.push(String(id));
      const customer = accountCustomers[i];
      customers.push(customer === null || customer === undefined ? null : String(customer));
      rowsPerAccount.push(0);
      firstClose.push(closings[i]!);
    }
    rowsPerAccount[rowsPerAccount.length - 1]! += 1;
    steps.push(newAccount ? accountDays[i]! : accountDays[i]! - accountDays[i - 1]!);
    moves.push(changes[i]!);
  });
  const accounts = { ids, customers, rows: rowsPerAccount, firstClose, step: steps, chg: moves };
  const al = cubes.alerts;
  const cut = al.rows > REPORT_ALERTS;
  // The query returns at most one row more than the page keeps: that row only says "cut".
  const alertKeep = cut ? keepLargest(al) : null;
  const pick = <T>(values: T[]) => (alertKeep ? alertKeep.map((i) => values[i]!) : values);
  const alerts = {
    d: pick(col(al, 'day')).map(dayOf),
    rules: ruleIndex.values,
    rule: pick(col(al, 'rule_name')).map((v) => ruleIndex.of(String(v))),
    sev: pick(col(al, 'severity')).map((v) => String(v ?? '')),
    entity: pick(col(al, 'entity_id')).map((v) => String(v ?? '')),
    prev: pick(nums(al, 'previous_cents')),
    cur: pick(nums(al, 'current_cents')),
    rate: pick(col(al, 'change_rate')).map((v) => (v === null ? null : Number(v))),
    flip: pick(col(al, 'is_sign_flip')).map((v) => (v === true || v === 'true' ? 1 : 0)),
    cut,
  };
  const rejectionRules = dictionary([]);
  const q = cubes.quality;
  const quality = {
    d: col(q, 'day').map(dayOf),
    ds: col(q, 'dataset').map((v) => datasetIndex.of(String(v))),
    valid: nums(q, 'valid_rows'),
    quar: nums(q, 'quarantined_rows'),
  };
  const r = cubes.rejections;
  const rejections = {
    d: col(r, 'day').map(dayOf),
    ds: col(r, 'dataset').map((v) => datasetIndex.of(String(v))),
    rule: col(r, 'rule_id').map((v) => rejectionRules.of(String(v))),
    rows: nums(r, 'rejected_rows'),
  };
  for (const cube of [tx, sales, balances, portfolio, inventory, quality, rejections, alerts])
    cube.d = deltas(cube.d);
  const errors: Record<string, string> = {};
  for (const [name, cube] of Object.entries(cubes)) if (cube.error) errors[name] = cube.error;
  return {
    span: { from: span.from, to: span.to, dataFrom, selectFrom: selection.from, selectTo: selection.to },
    currency,
    dims: {
      channels,
      cities,
      segments: segmentIndex.values,
      categories: categoryIndex.values,
      datasets: datasetIndex.values,
      rules: rejectionRules.values,
      products: productIndex.values,
      skus: skuIndex.values,
    },
    tx,
    sales,
    balances,
    portfolio,
    inventory,
    accounts,
    alerts,
    quality,
    rejections,
    errors,
  };
}

/** Each value minus the one before it (the rows come in day order, so mostly 0 or 1). */
function deltas(values: readonly number[]): number[] {
  return values.map((v, i) => (i === 0 ? v : v - values[i - 1]!));
}

/** Row indexes of the REPORT_ALERTS largest moves, in the query's (day) order. */
function keepLargest(alerts: FetchedCube): number[] {
  const previous = alerts.columns.previous_cents ?? [];
  const current = alerts.columns.current_cents ?? [];
  const order = previous.map((_, i) => i);
  order.sort((x, y) => {
    const size = (i: number) => Math.abs(Number(current[i]) - Number(previous[i]));
    return size(y) - size(x) || x - y;
  });
  return order.slice(0, REPORT_ALERTS).sort((x, y) => x - y);
}

function dictionary(initial: readonly string[]) {
  const values = [...initial];
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    values,
    of(value: string): number {
      let i = index.get(value);
      if (i === undefined) {
        i = values.length;
        values.push(value);
        index.set(value, i);
      }
      return i;
    },
  };
}

/**
 * The payload as the page embeds it: its JSON gzipped and in base64 (about a quarter of the JSON:
 * columns of small integers compress well), which the page unpacks with the browser's own
 * `DecompressionStream`. Base64 holds no `<`, so nothing in it can end the script element.
 */
export function encodePayload(payload: DashboardPayload): string {
  return gzipSync(JSON.stringify(payload), { level: 9 }).toString('base64');
}

/** The payload a report page embeds, read back (for tests and the size benchmark). */
export function readPayload(html: string): DashboardPayload {
  const match =
    /<script type="application\/octet-stream" id="report-data" data-encoding="gzip\+base64">([^<]*)<\/script>/.exec(
      html,
    );
  if (!match) throw new Error('no embedded report data in this page');
  return JSON.parse(gunzipSync(Buffer.from(match[1]!, 'base64')).toString('utf8')) as DashboardPayload;
}

/** The page's Content-Security-Policy: nothing loads from anywhere; only the page's own script runs. */
export function contentSecurityPolicy(): string {
  const hash = createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'`;
}

interface FreshnessRow {
  readonly dataset: string;
  readonly lastIngestedAt: string | null;
  readonly filesIngested: number;
  readonly filesRejected: number;
  readonly latestPartition: string | null;
  readonly curatedRows: number;
}

/** Renders the whole page. */
export function renderDashboard(
  cubes: ReportCubes,
  span: ReportSpan,
  selection: InitialSelection,
  currency: string | null,
  context: RenderContext,
): string {
  const payload = dashboardPayload(cubes, span, selection, currency);
  const e = escapeHtml;
  const chart = (id: string, title: string, subtitle: string, legend = '') =>
    `<article class="card" id="${id}"><h3>${e(title)}</h3><p class="sub">${e(subtitle)}</p>${legend}<div class="chart-body"></div></article>`;
  const swatches = (items: [string, string, 'bar' | 'line'][]) =>
    `<ul class="legend">${items
      .map(
        ([name, colour, kind]) =>
          `<li><span class="swatch${kind === 'line' ? ' line' : ''}" style="${kind === 'line' ? 'border-color' : 'background'}:${colour}"></span>${e(name)}</li>`,
      )
      .join('')}</ul>`;
  const f = cubes.freshness.columns;
  const freshness: FreshnessRow[] = (f.dataset ?? []).map((dataset, i) => ({
    dataset: String(dataset),
    lastIngestedAt: f.last_ingested_at?.[i] === null ? null : String(f.last_ingested_at?.[i]),
    filesIngested: Number(f.files_ingested?.[i] ?? 0),
    filesRejected: Number(f.files_rejected?.[i] ?? 0),
    latestPartition: f.latest_partition?.[i] === null ? null : String(f.latest_partition?.[i]).slice(0, 10),
    curatedRows: Number(f.curated_rows?.[i] ?? 0),
  }));
  const days = daysInclusive(span.from, span.to);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="generator" content="ledgerlake">
<title>ledgerlake report · ${e(formatDate(span.from))} – ${e(formatDate(span.to))}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<a class="skip" href="#kpis">Skip to the figures</a>
<header class="page">
<h1>Payments and sales report</h1>
<p class="lede">The page holds ${e(formatDate(span.from))} – ${e(formatDate(span.to))} (${days} ${days === 1 ? 'day' : 'days'}, UTC). Pick days and filters: every figure follows, and the address keeps the selection, so a link reproduces the view.</p>
<form id="filters" class="filters" role="search" aria-label="Filters">
<label>From <input type="date" name="from" min="${span.from}" max="${span.to}" required></label>
<label>To <input type="date" name="to" min="${span.from}" max="${span.to}" required></label>
<label>Region <select name="region"></select></label>
<label>State <select name="state"></select></label>
<label>City <select name="city"></select></label>
<label>Channel <select name="channel"></select></label>
<label>Segment <select name="segment"></select></label>
<button type="reset">Reset</button>
</form>
<p class="selection" aria-live="polite">Showing: <span id="selection-summary">${e(formatDate(selection.from))} – ${e(formatDate(selection.to))}</span></p>
<noscript><p class="note">The figures are drawn by the page's script: allow scripts for this file to see them.</p></noscript>
</header>
<main class="page">
<section id="kpis" aria-labelledby="kpis-title"><h2 id="kpis-title">Key figures</h2>
<p class="section-intro">Successful transactions earn revenue (amount × channel fee); failure rate counts failed among all. Compared with the same number of days just before.</p>
<div class="kpis" id="kpi-cards"></div></section>
<section id="trends" aria-labelledby="trends-title"><h2 id="trends-title">Trends</h2>
<p class="section-intro">Day by day; the 7-day moving average also counts the 6 days before each day.</p>
<div class="grid">
${chart(
  'trend-revenue',
  'Daily revenue',
  'Fees earned on successful transactions per day, with the 7-day moving average.',
  swatches([
    ['revenue', '#56B4E9', 'bar'],
    ['7-day average', '#0072B2', 'line'],
  ]),
)}
${chart(
  'trend-failure',
  'Failure rate',
  'Failed transactions as a share of all transactions per day, with the 7-day moving average.',
  swatches([
    ['daily', '#E69F00', 'line'],
    ['7-day average', '#D55E00', 'line'],
  ]),
)}
${chart(
  'trend-processing',
  'Processing time',
  'Average seconds from submission to outcome per day, with the 7-day moving average.',
  swatches([
    ['daily', '#CC79A7', 'line'],
    ['7-day average', '#009E73', 'line'],
  ]),
)}
</div></section>
<section id="channels" aria-labelledby="channels-title"><h2 id="channels-title">Comparisons</h2>
<p class="section-intro">Each chart applies every filter except its own dimension, and marks the selected item; a filter set to all shows the top items and the rest as one bar. A transaction's city is where it happened.</p>
<div class="grid">
${chart('compare-channel', 'Revenue by payment channel (top 4)', 'With transactions, failure rate and processing time in the figures.')}
${chart('compare-geo', 'Revenue by region (top 6)', 'Regions, then the states of the selected region, then the cities of the selected state.')}
${chart('compare-segment', 'Revenue by customer segment (top 4)', 'The customer’s segment when the transaction happened.')}
</div></section>
<section id="sales" aria-labelledby="sales-title"><h2 id="sales-title">Sales</h2>
<p class="section-intro">Shop order lines, value after discounts. An order’s city is its customer’s city at the order.</p>
<p class="note" id="sales-note" aria-live="polite"></p>
<div class="kpis" id="sales-cards"></div>
<div class="grid">
${chart('sales-category', 'Sales value by category (top 6)', 'Order value after discounts.')}
${chart('sales-geo', 'Sales value by region (top 6)', 'By the customer’s city at the order.')}
${chart(
  'sales-trend',
  'Daily sales value',
  'Order value per day, with the 7-day moving average.',
  swatches([
    ['sales value', '#56B4E9', 'bar'],
    ['7-day average', '#0072B2', 'line'],
  ]),
)}
</div></section>
<section id="balances" aria-labelledby="balances-title"><h2 id="balances-title">Balances</h2>
<p class="section-intro">Account balances by the holder’s current city and segment (payment channels do not apply: a balance sums every channel).</p>
<div class="grid">
${chart('balance-total', 'Total closing balance', 'Sum of the closing balances of the accounts per day.')}
${chart(
  'balance-flows',
  'Money in and out',
  'Per day, what came into the accounts and what left them.',
  swatches([
    ['in', '#009E73', 'bar'],
    ['out', '#D55E00', 'bar'],
  ]),
)}
<article class="card" id="account"><h3>One account</h3>
<p class="sub">The accounts with an alert in the span, then those that moved most (up to 200), are in the page.</p>
<label class="search">Account <input type="search" id="account-search" name="account" form="filters" list="account-list" autocomplete="off" placeholder="account id"></label>
<datalist id="account-list"></datalist>
<div id="account-view" aria-live="polite"></div></article>
<article class="card" id="alerts"><h3>Alerts in the selected days</h3>
<p class="sub">Balance moves that breached an alert rule (reference/alert_rules.csv); each is alerted once.</p>
<div id="alerts-table"></div></article>
</div></section>
<section id="portfolio" aria-labelledby="portfolio-title"><h2 id="portfolio-title">Portfolios</h2>
<p class="section-intro">Units of securities, funds and commodities held by all clients, those under lien (pledged or blocked) and those available (held − lien); market value at each product’s latest known price. The region, channel and segment filters do not apply.</p>
<label class="search">Product <select name="product" form="filters" id="product-select"></select></label>
<div class="grid">
${chart('portfolio-value', 'Market value', 'Market value of the holdings per day (units held × latest known price).')}
${chart('portfolio-units', 'Units held, under lien and available', 'Per day for the chosen product; with all products, each product on the last selected day.')}
</div></section>
<section id="inventory" aria-labelledby="inventory-title"><h2 id="inventory-title">Inventory</h2>
<p class="section-intro">Units on hand over all warehouses and branches (transfers between locations leave the total unchanged), what was received and issued, and locations whose position went below zero. The region, channel and segment filters do not apply.</p>
<label class="search">Stock item <select name="sku" form="filters" id="sku-select"></select></label>
<div class="grid">
${chart(
  'inventory-units',
  'Units on hand',
  'Per day after the day’s last movement, with the units received and issued.',
  swatches([
    ['on hand', '#0072B2', 'line'],
    ['received', '#009E73', 'bar'],
    ['issued', '#D55E00', 'bar'],
  ]),
)}
${chart('inventory-products', 'Stock items on the last selected day', 'Units on hand over all locations, and the locations below zero.')}
</div></section>
<section id="quality" aria-labelledby="quality-title"><h2 id="quality-title">Data quality</h2>
<p class="section-intro">Rows that arrived in the selected days, and what the contracts rejected.</p>
<div class="grid">
<article class="card"><h3>Rows per dataset</h3><p class="sub">Valid and quarantined rows by event day.</p><div id="quality-table"></div></article>
${chart('quality-rules', 'Rejections by rule (top 6)', 'Rejected rows per dataset and broken rule; a row that breaks two rules counts under each.')}
<article class="card"><h3>Pipeline freshness</h3><p class="sub">As of ${e(formatTimestamp(context.builtAt.toISOString()))}, not of the selection.</p>${freshnessTable(freshness, cubes.freshness.error)}</article>
</div></section>
</main>
<footer class="page"><dl>
<dt>Source</dt><dd>${e(context.engine)} · ${e(context.source)}</dd>
<dt>Days</dt><dd>${span.from} to ${span.to} (${days} days, UTC), with ${LEAD_IN_DAYS} days before for the moving averages</dd>
<dt>Built</dt><dd>${e(formatTimestamp(context.builtAt.toISOString()).replace(' UTC', ':00 UTC'))} from ${context.queries} queries</dd>
</dl></footer>
<script type="application/octet-stream" id="report-data" data-encoding="gzip+base64">${encodePayload(payload)}</script>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}

function freshnessTable(rows: readonly FreshnessRow[], error: string | undefined): string {
  if (rows.length === 0)
    return `<div class="empty"><p>No data for this selection.</p>${error ? `<p class="reason">${escapeHtml(error)}</p>` : ''}</div>`;
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${escapeHtml(r.dataset)}</th><td>${r.lastIngestedAt ? escapeHtml(formatTimestamp(r.lastIngestedAt)) : '–'}</td><td class="num">${r.filesIngested.toLocaleString('en-US')}</td><td class="num">${r.filesRejected.toLocaleString('en-US')}</td><td>${escapeHtml(r.latestPartition ?? '–')}</td><td class="num">${r.curatedRows.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  return `<div class="table-wrap"><table data-figures="freshness"><thead><tr><th scope="col">dataset</th><th scope="col">last ingest</th><th scope="col" class="num">files</th><th scope="col" class="num">rejected files</th><th scope="col">latest day</th><th scope="col" class="num">rows</th></tr></thead><tbody>${body}</tbody></table></div>`;
}
