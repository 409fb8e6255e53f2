import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_SQL_DIR } from '../sql/models';
import { collectCatalogDocs } from './catalog-docs';
import { renderDocsPage } from './render';

/** What `writeDocs` wrote. */
export interface WrittenDocs {
  /** Absolute path of `index.html`. */
  readonly path: string;
  readonly bytes: number;
  readonly models: number;
  readonly relations: number;
}

/** Collects the docs of `sqlDir` and writes `<outDir>/index.html` (folders created as needed). */
export async function writeDocs(
  outDir: string,
  options: { readonly sqlDir?: string; readonly generatedAt?: Date } = {},
): Promise<WrittenDocs> {
  const docs = await collectCatalogDocs(options.sqlDir ?? DEFAULT_SQL_DIR);
  const html = renderDocsPage(docs, options);
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'index.html');
  await writeFile(path, html, 'utf8');
  return {
    path,
    bytes: Buffer.byteLength(html),
    models: docs.nodes.filter((n) => n.kind === 'model').length,
    relations: docs.nodes.length,
  };
}
