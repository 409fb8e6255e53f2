/** The page's own CSS, inlined into every report: the file opens offline and needs nothing else. */

export const REPORT_CSS = `
:root { --bg: #f3f4f6; --card: #ffffff; --ink: #1c2230; --muted: #586170; --line: #e2e5ea; --axis: #9aa1ab;
  --good: #0072B2; --bad: #D55E00; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header.page { padding-top: 24px; padding-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 4px; }
h3 { font-size: 15px; margin: 0 0 2px; }
.lede, .sub, .section-intro { color: var(--muted); margin: 0 0 12px; }
.sub { font-size: 13px; margin-bottom: 8px; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); }
.kpis { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin: 0;
  min-width: 0; }
.kpi-value { font-size: 28px; font-weight: 650; margin: 6px 0 2px; font-variant-numeric: tabular-nums; }
.kpi-value .unit { font-size: 15px; font-weight: 500; color: var(--muted); }
.kpi-change { margin: 0; font-size: 14px; font-variant-numeric: tabular-nums; }
.kpi-change.good { color: var(--good); }
.kpi-change.bad { color: var(--bad); }
.kpi-change.flat, .kpi-change .vs { color: var(--muted); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 0 0 6px;
  font-size: 13px; color: var(--muted); }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
.swatch.line { height: 0; border-top: 3px solid; border-radius: 0; width: 16px; }
.swatch.line.dotted { border-top-width: 2px; }
.chart-svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; font-size: 12px; fill: var(--muted); }
svg .axis-label, svg .category { fill: var(--ink); }
svg .value { fill: var(--ink); font-variant-numeric: tabular-nums; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .grid.zero, svg .axis { stroke: var(--axis); stroke-width: 1; }
svg .hit { fill: transparent; cursor: crosshair; }
svg .hit:hover, svg .hit.active { fill: rgba(28, 34, 48, 0.07); }
.empty { border: 1px dashed var(--line); border-radius: 8px; padding: 20px 12px; text-align: center; }
.empty p { margin: 0; color: var(--muted); }
.empty .reason { font-size: 12px; margin-top: 6px; word-break: break-word; }
.note { font-size: 12px; color: var(--muted); margin: 8px 0 0; word-break: break-word; }
.table-wrap { overflow-x: auto; margin-top: 10px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
td.up { color: var(--good); }
td.down { color: var(--bad); }
footer.page { color: var(--muted); font-size: 13px; padding-top: 24px; padding-bottom: 32px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; word-break: break-all; }
.tip { position: fixed; z-index: 10; pointer-events: none; max-width: 280px; padding: 6px 9px; border-radius: 6px;
  background: #1c2230; color: #fff; font-size: 13px; line-height: 1.4; white-space: pre-line;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25); }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px 10px; z-index: 20; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; margin: 12px 0 6px; }
.filters label, .search { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 2px; }
.filters input, .filters select, .filters button, .search input { font: inherit; color: var(--ink); padding: 5px 8px;
  border: 1px solid var(--axis); border-radius: 6px; background: #fff; min-height: 34px; }
.filters button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--good); outline-offset: 2px; }
.selection { margin: 4px 0 0; font-weight: 600; }
details.figures { margin-top: 6px; font-size: 13px; }
details.figures summary { cursor: pointer; color: var(--muted); }
#account-view h3 { margin-top: 12px; }
#alerts { grid-column: 1 / -1; }
#alerts .table-wrap { max-height: 420px; overflow-y: auto; }
@media (max-width: 600px) {
  .page { padding-left: 12px; padding-right: 12px; }
  .card { padding: 12px; }
  .kpi-value { font-size: 21px; }
  .kpis { gap: 10px; }
}
@media print {
  body { background: #fff; font-size: 12px; }
  .filters, .skip, .search, details.figures summary, .tip { display: none; }
  details.figures { display: none; }
  .card { break-inside: avoid; border-color: #bbb; }
  .grid { grid-template-columns: 1fr 1fr; }
  .selection { font-size: 14px; }
  #alerts .table-wrap { max-height: none; overflow: visible; }
}
`;
