import type { CatalogDocs, DocNode } from './catalog-docs';
import { escapeHtml } from './escape';

/** Where a node is drawn. */
export interface PlacedNode {
  readonly node: DocNode;
  readonly x: number;
  readonly y: number;
  readonly column: number;
}

const NODE_WIDTH = 250;
const NODE_HEIGHT = 24;
const COLUMN_GAP = 56;
const ROW_GAP = 10;
const PADDING = 16;

/** Colour of each layer (datasets -> staging -> marts -> analytics -> alerts). */
export const LAYER_COLOURS: Readonly<Record<string, string>> = {
  dataset: '#2563eb',
  reference: '#64748b',
  pipeline: '#64748b',
  staging: '#0891b2',
  marts: '#059669',
  analytics: '#d97706',
  alerts: '#dc2626',
};

/** Bands of the graph, left to right; a layer not listed goes between analytics and alerts. */
const BANDS: readonly (readonly string[])[] = [
  ['dataset', 'reference', 'pipeline'],
  ['staging'],
  ['intermediate'],
  ['marts'],
  ['analytics'],
  ['alerts'],
];

function bandOf(layer: string): number {
  const index = BANDS.findIndex((band) => band.includes(layer));
  return index >= 0 ? index : BANDS.length - 1.5;
}

/**
 * Lays the graph out in columns, one band per layer (datasets -> staging -> marts -> analytics ->
 * alerts); inside a band a node sits one column right of the deepest relation it reads, so every
 * edge runs left to right. Within a column nodes are ordered by the average row of what they read,
 * which keeps most edges short.
 */
export function layoutLineage(docs: CatalogDocs): { nodes: PlacedNode[]; width: number; height: number } {
  const byName = new Map(docs.nodes.map((n) => [n.name, n]));
  const column = new Map<string, number>();
  const bands = [...new Set(docs.nodes.map((n) => bandOf(n.layer)))].sort((a, b) => a - b);
  let start = 0;
  for (const band of bands) {
    const members = docs.nodes.filter((n) => bandOf(n.layer) === band);
    const place = (node: DocNode): number => {
      const known = column.get(node.name);
      if (known !== undefined) return known;
      const inputs = node.reads.map((name) => {
        const input = byName.get(name);
        return input && bandOf(input.layer) === band ? place(input) : (column.get(name) ?? -1);
      });
      const value = Math.max(start, ...inputs.map((c) => c + 1));
      column.set(node.name, value);
      return value;
    };
    members.forEach(place);
    start = Math.max(start, ...members.map((n) => column.get(n.name)!)) + 1;
  }
  const columns: DocNode[][] = [];
  for (const node of docs.nodes) {
    const index = column.get(node.name)!;
    columns[index] = [...(columns[index] ?? []), node];
  }

  const row = new Map<string, number>();
  columns.forEach((nodes, index) => {
    if (index > 0) {
      const centre = (node: DocNode) =>
        node.reads.reduce((sum, name) => sum + (row.get(name) ?? 0), 0) / Math.max(node.reads.length, 1);
      nodes.sort((a, b) => centre(a) - centre(b) || a.name.localeCompare(b.name));
    }
    nodes.forEach((node, i) => {
      row.set(node.name, i);
    });
  });

  const tallest = Math.max(...columns.map((c) => c.length));
  const placed = columns.flatMap((column, index) => {
    const offset = ((tallest - column.length) * (NODE_HEIGHT + ROW_GAP)) / 2;
    return column.map((node, i) => ({
      node,
      column: index,
      x: PADDING + index * (NODE_WIDTH + COLUMN_GAP),
      y: PADDING + offset + i * (NODE_HEIGHT + ROW_GAP),
    }));
  });
  return {
    nodes: placed,
    width: PADDING * 2 + columns.length * NODE_WIDTH + (columns.length - 1) * COLUMN_GAP,
    height: PADDING * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP,
  };
}

/** Anchor of a node's section on the page: its SQL for a model, its columns for a base relation. */
export function nodeAnchor(node: DocNode): string {
  return node.kind === 'model' ? `sql-${node.name}` : `table-${node.name}`;
}

/**
 * The lineage graph as inline SVG: one `<a>` per node linking to its SQL (or columns), one path per
 * edge carrying `data-from` / `data-to`, so a reader (or a test) can follow both.
 */
export function lineageSvg(docs: CatalogDocs): string {
  const layout = layoutLineage(docs);
  const at = new Map(layout.nodes.map((p) => [p.node.name, p]));
  const edges = docs.edges.map(({ from, to }) => {
    const a = at.get(from)!;
    const b = at.get(to)!;
    const x1 = a.x + NODE_WIDTH;
    const y1 = a.y + NODE_HEIGHT / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_HEIGHT / 2;
    const bend = Math.max(40, (x2 - x1) / 2);
    return (
      `<path class="edge" data-from="${escapeHtml(from)}" data-to="${escapeHtml(to)}" ` +
      `d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}"/>`
    );
  });
  const nodes = layout.nodes.map(({ node, x, y }) => {
    const colour = LAYER_COLOURS[node.layer] ?? '#475569';
    return (
      `<a class="node" href="#${nodeAnchor(node)}" data-node="${escapeHtml(node.name)}" data-layer="${escapeHtml(node.layer)}">` +
      `<title>${escapeHtml(`${node.name} (${node.layer}): ${node.description}`)}</title>` +
      `<rect x="${x}" y="${y}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="5" style="stroke:${colour}"/>` +
      `<rect x="${x}" y="${y}" width="6" height="${NODE_HEIGHT}" rx="2" style="fill:${colour}"/>` +
      `<text x="${x + 12}" y="${y + NODE_HEIGHT / 2 + 4}">${escapeHtml(node.name)}</text></a>`
    );
  });
  return (
    `<svg class="lineage" role="img" aria-label="Lineage: datasets to staging, marts, analytics and alerts" ` +
    `viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" xmlns="http://www.w3.org/2000/svg">` +
    `<g class="edges">${edges.join('')}</g><g class="nodes">${nodes.join('')}</g></svg>`
  );
}
