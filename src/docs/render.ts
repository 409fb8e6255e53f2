import { compileDataTest } from '../quality/compile';
import type { CatalogDocs, DocNode } from './catalog-docs';
import { escapeHtml } from './escape';
import { LAYER_COLOURS, lineageSvg, nodeAnchor } from './lineage';

/** Sections of the page, in lineage order. */
const SECTIONS: readonly { readonly title: string; readonly layers: readonly string[] }[] = [
  { title: 'Datasets', layers: ['dataset'] },
  { title: 'Reference data', layers: ['reference'] },
  { title: 'Pipeline tables', layers: ['pipeline'] },
  { title: 'Staging', layers: ['staging'] },
  { title: 'Marts', layers: ['marts'] },
  { title: 'Analytics', layers: ['analytics'] },
  { title: 'Alerts', layers: ['alerts'] },
];

const STYLE = `
:root { color-scheme: light; --ink: #0f172a; --muted: #475569; --line: #e2e8f0; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 20px 24px 8px; }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 32px 0 8px; font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 0; font-size: 16px; font-family: ui-monospace, Menlo, monospace; }
main { padding: 0 24px 48px; max-width: 1200px; }
nav a { margin-right: 12px; }
a { color: #1d4ed8; }
.graph { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.lineage .edge { fill: none; stroke: #94a3b8; stroke-width: 1.2; }
.lineage .node rect { fill: #fff; stroke-width: 1.5; }
.lineage .node text { font: 12px ui-monospace, Menlo, monospace; fill: var(--ink); }
.lineage .node:hover rect:first-of-type, .lineage .node:focus rect:first-of-type { fill: #eff6ff; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
section.relation { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 12px 0; }
section.relation:target { outline: 2px solid #2563eb; }
.badge { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 4px; color: #fff; margin-left: 6px; vertical-align: middle; }
.meta { color: var(--muted); margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td code, .tests code { font-size: 12px; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: 12px; }
pre:target { outline: 3px solid #f59e0b; }
.tests li { margin: 2px 0; }
.warn { color: #b45309; }
`;

/**
 * The docs page, one self-contained HTML file (inline CSS and SVG, no script, no request): the
 * lineage graph, then every base relation and model with its description, grain, columns, tests and
 * (models) SQL.
 */
export function renderDocsPage(docs: CatalogDocs, options: { readonly generatedAt?: Date } = {}): string {
  const readBy = new Map<string, string[]>();
  for (const edge of docs.edges) readBy.set(edge.from, [...(readBy.get(edge.from) ?? []), edge.to]);
  const generated = (options.generatedAt ?? new Date()).toISOString().slice(0, 16).replace('T', ' ');
  const legend = Object.entries(LAYER_COLOURS)
    .filter(([layer]) => layer !== 'pipeline')
    .map(([layer, colour]) => `<span><i style="background:${colour}"></i>${escapeHtml(layer)}</span>`)
    .join('');
  const sections = SECTIONS.map(({ title, layers }) => {
    const nodes = docs.nodes.filter((n) => layers.includes(n.layer));
    if (nodes.length === 0) return '';
    return `<h2 id="${title.toLowerCase().replaceAll(' ', '-')}">${escapeHtml(title)} (${nodes.length})</h2>\n${nodes
      .map((node) => relationSection(node, readBy.get(node.name) ?? []))
      .join('\n')}`;
  });
  const models = docs.nodes.filter((n) => n.kind === 'model').length;
  const datasets = docs.nodes.filter((n) => n.layer === 'dataset').length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ledgerlake docs</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>ledgerlake docs</h1>
<p class="meta">${datasets} datasets, ${models} models, ${docs.edges.length} dependencies, ${docs.nodes.reduce((n, node) => n + node.tests.length, 0)} data tests · generated ${escapeHtml(generated)} UTC</p>
<nav>${SECTIONS.map(({ title }) => `<a href="#${title.toLowerCase().replaceAll(' ', '-')}">${escapeHtml(title)}</a>`).join('')}</nav>
</header>
<main>
<h2 id="lineage">Lineage</h2>
<p class="meta">Datasets -> staging -> marts -> analytics -> alerts, as the catalog builds them. Click a node for its SQL.</p>
<p class="legend">${legend}</p>
<div class="graph">${lineageSvg(docs)}</div>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

function relationSection(node: DocNode, readBy: readonly string[]): string {
  const colour = LAYER_COLOURS[node.layer] ?? '#475569';
  const links = (names: readonly string[]) =>
    names.map((name) => `<a href="#${escapeHtml(name)}">${escapeHtml(name)}</a>`).join(', ') || 'nothing';
  const columns = node.columns
    .map(
      (c) =>
        `<tr><td><code>${escapeHtml(c.name)}</code></td><td><code>${escapeHtml(c.type)}</code></td><td>${escapeHtml(c.description)}</td></tr>`,
    )
    .join('');
  const tests =
    node.tests.length === 0
      ? '<p class="meta">No data tests.</p>'
      : `<ul class="tests">${node.tests
          .map(
            (t) =>
              `<li data-test="${escapeHtml(t.name)}"><code>${escapeHtml(t.name.slice(t.model.length + 2))}</code>${t.severity === 'warn' ? ' <span class="warn">(warn)</span>' : ''}` +
              `<details><summary>SQL returning the failing rows</summary><pre>${escapeHtml(compileDataTest(t))}</pre></details></li>`,
          )
          .join('')}</ul>`;
  const sql =
    node.sql === undefined
      ? ''
      : `<details open><summary><code>${escapeHtml(node.file ?? '')}</code></summary><pre id="${nodeAnchor(node)}">${escapeHtml(node.sql)}</pre></details>`;
  return `<section class="relation" id="${escapeHtml(node.name)}" data-relation="${escapeHtml(node.name)}" data-layer="${escapeHtml(node.layer)}">
<h3${node.kind === 'base' ? ` id="${nodeAnchor(node)}"` : ''}>${escapeHtml(node.name)}<span class="badge" style="background:${colour}">${escapeHtml(node.layer)}</span>${node.materialized ? `<span class="badge" style="background:#475569">${escapeHtml(node.materialized)}</span>` : ''}</h3>
<p>${escapeHtml(node.description.charAt(0).toUpperCase() + node.description.slice(1))}</p>
<p class="meta"><b>Grain:</b> ${escapeHtml(node.grain || 'not stated')}</p>
${node.kind === 'model' ? `<p class="meta"><b>Reads:</b> ${links(node.reads)}</p>` : ''}
<p class="meta"><b>Read by:</b> ${links(readBy)}</p>
<table class="columns"><thead><tr><th>column</th><th>type</th><th>description</th></tr></thead><tbody>${columns}</tbody></table>
<h4>Tests</h4>
${tests}
${sql}
</section>`;
}
