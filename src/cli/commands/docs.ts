import type { Command } from 'commander';
import { writeDocs } from '../../docs/write-docs';

/** Default output folder, relative to the working directory. */
export const DEFAULT_DOCS_DIR = 'ledgerlake-docs';

/**
 * `ledgerlake docs [--out DIR]`: writes the docs page (`DIR/index.html`): every dataset and model
 * with its description, grain, columns and tests, and the lineage graph. Needs no lake.
 */
export function registerDocsCommand(program: Command): void {
  program
    .command('docs')
    .description(
      'Write the docs page: datasets, models, columns, tests and the lineage graph, as one HTML file.',
    )
    .option('--out <dir>', 'folder to write index.html to', DEFAULT_DOCS_DIR)
    .option('--json', 'print what was written as JSON', false)
    .action(async (options: { out: string; json: boolean }) => {
      const written = await writeDocs(options.out);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(written, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `docs written to ${written.path} (${Math.round(written.bytes / 1024)} KB, ${written.relations} relations, ${written.models} models)\n`,
      );
    });
}
