import type { Command } from 'commander';
import { buildCatalog } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import type { ModelRefresh } from '../../materialize/refresh';
import { loadModels } from '../../sql/models';
import { lakeOption, UsageError } from '../program';
import { existingLake } from './query';

/** One line per incremental model: what the refresh did and which days it wrote. */
export function describeRefresh(entry: ModelRefresh): string {
  const days = entry.days;
  const range = days.length === 0 ? '' : ` ${days[0]}${days.length > 1 ? `..${days.at(-1)}` : ''}`;
  const what =
    entry.mode === 'unchanged'
      ? 'unchanged'
      : `${entry.mode.padEnd(11)} ${days.length} day${days.length === 1 ? '' : 's'}${range}, ` +
        `${entry.statements} statement${entry.statements === 1 ? '' : 's'} (${Math.round(entry.ms)} ms)`;
  return `${entry.model.padEnd(36)} ${what}`;
}

/**
 * `ledgerlake refresh [--rebuild] [--model NAME...]`: brings the materialized models under
 * `<lake>/marts/` up to date with the curated data. Every command refreshes what it reads; this one
 * does all of it and says what it did, and `--rebuild` rebuilds in full (a new model, a changed
 * rule, or a lake to verify).
 */
export function registerRefreshCommand(program: Command): void {
  program
    .command('refresh')
    .description(
      'Refresh the materialized models (marts/ in the lake) from what changed since the last refresh; ' +
        '--rebuild rebuilds them in full.',
    )
    .addOption(lakeOption())
    .option('--rebuild', 'rebuild in full instead of refreshing what changed', false)
    .option('--model <name...>', 'only these incremental models (and those they read)')
    .option('--json', 'print what changed and what each model did as JSON', false)
    .action(async (options: { lake?: string; rebuild: boolean; model?: string[]; json: boolean }) => {
      const known = loadModels()
        .filter((m) => m.materialized === 'incremental')
        .map((m) => m.name);
      for (const name of options.model ?? []) {
        if (!known.includes(name)) {
          throw new UsageError(
            `'${name}' is not an incremental model (incremental models: ${known.join(', ')})`,
          );
        }
      }
      const dir = existingLake(options);
      const engine = await openDuckDb({ source: dir });
      try {
        const models = options.model ?? known;
        const catalog = await buildCatalog(engine, {
          lakeDir: dir,
          models,
          rebuild: options.rebuild ? (options.model ?? true) : false,
        });
        const changed = Object.entries(catalog.refresh?.changedInputs ?? {});
        if (options.json) {
          const models = (catalog.refresh?.models ?? []).map((m) => ({ ...m, ms: Math.round(m.ms) }));
          const run = { changedInputs: catalog.refresh?.changedInputs ?? {}, models };
          process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
          return;
        }
        console.log(
          changed.length === 0
            ? 'curated data unchanged since the last refresh'
            : `changed: ${changed.map(([dataset, days]) => `${dataset} ${days.length} day${days.length === 1 ? '' : 's'}`).join(', ')}`,
        );
        for (const entry of catalog.refresh?.models ?? []) console.log(describeRefresh(entry));
      } finally {
        await engine.close();
      }
    });
}
