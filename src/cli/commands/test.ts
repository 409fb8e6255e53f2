import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { buildCatalog, CatalogError } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import { loadDataTests } from '../../quality/declarations';
import { formatResults, resultsJson } from '../../quality/format';
import { modelsReadBy, runDataTests, runFailed, selectDataTests } from '../../quality/run';
import { loadModels } from '../../sql/models';
import { lakeOption, UsageError } from '../program';
import { existingLake, failCommand } from './query';

/**
 * `ledgerlake test [--select model...] [--json] [--lake DIR]`: runs the data tests declared in the
 * models' headers (`-- test: ...`) on the local catalog and prints pass / fail / warn with counts and
 * up to 5 failing rows each. Exit code 1 when an error-severity test fails or cannot run.
 */
export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description(
      'Run the data tests declared in the models (unique, not_null, relationships, ...) on the local lake.',
    )
    .addOption(lakeOption())
    .option('--select <model...>', 'only the tests of these models (or datasets)')
    .option('--json', 'print the results as JSON')
    .action(async (options: { lake?: string; select?: string[]; json?: boolean }, command: Command) => {
      const models = loadModels();
      const all = loadDataTests(models);
      const known = new Set([...models.map((m) => m.name), ...all.map((t) => t.target)]);
      const unknown = (options.select ?? []).filter((name) => !known.has(name));
      if (unknown.length > 0) {
        throw new UsageError(
          `--select ${unknown.join(', ')}: no such model or dataset; known: ${[...known].sort().join(', ')}`,
        );
      }
      const tests = selectDataTests(all, options.select);
      const dir = existingLake(options);
      const started = performance.now();
      const engine = await openDuckDb({ source: dir });
      try {
        await buildCatalog(engine, {
          lakeDir: dir,
          models: modelsReadBy(tests, new Set(models.map((m) => m.name))),
        });
        const results = await runDataTests(engine, tests);
        process.stdout.write(
          options.json ? resultsJson(results) : formatResults(results, (performance.now() - started) / 1000),
        );
        if (runFailed(results)) process.exitCode = 1;
      } catch (error) {
        if (error instanceof CatalogError)
          failCommand(command, `cannot build the catalog: ${error.message}`, 'ledgerlake.test');
        throw error;
      } finally {
        await engine.close();
      }
    });
}
