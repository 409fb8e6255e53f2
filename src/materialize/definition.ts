import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_TABLES } from '../sql/base-tables';
import { referencedRelations, type SqlModel } from '../sql/models';

/**
 * The content of the reference files a model reads (directly or upstream), as text for its
 * definition hash: a changed threshold or fee rebuilds what was computed from the old one. The local
 * catalog reads the repo's `reference/`; the Lambda the copy bundled next to its handler.
 */
export function referenceDefinition(
  model: SqlModel,
  models: readonly SqlModel[],
  referenceDir: string,
): string {
  const byName = new Map(models.map((m) => [m.name, m]));
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const ref of referencedRelations(byName.get(name)?.sql ?? '')) {
      const table = BASE_TABLES.find((t) => t.name === ref);
      if (table?.source.kind === 'reference') files.add(table.source.file);
    }
    byName.get(name)?.dependsOn.forEach(visit);
  };
  visit(model.name);
  return [...files]
    .sort()
    .map((file) => {
      const path = join(referenceDir, file);
      return `${file}:${existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing'}`;
    })
    .join('\n');
}
