import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueryEngine } from '../../src/engine/query-engine';
import { referenceDefinition } from '../../src/materialize/definition';
import { type MartWriter, refreshMarts } from '../../src/materialize/refresh';
import type { SqlModel } from '../../src/sql/models';
import type { ObjectStore } from '../../src/storage/object-store';
import type { MartRefresh } from './alerts-handler';

/** What `createMartRefresh` runs the refresh with. */
export interface MartRefreshDependencies {
  /** Athena (materialization workgroup) on AWS; DuckDB in tests. */
  readonly engine: QueryEngine;
  /** The lake: curated files, mart files and the refresh state. */
  readonly lake: ObjectStore;
  /** `AthenaMartWriter` on AWS. */
  readonly writer: MartWriter;
  /** Every model (`loadModels`), in dependency order. */
  readonly models: readonly SqlModel[];
  /** The reference CSVs the models' definitions include (bundled next to the handler). */
  readonly referenceDir: string;
  readonly logger: Pick<Logger, 'info'>;
}

/**
 * The refresh the alerts function runs before evaluating: `refreshMarts` with the event's hints (the
 * days an ingest named; a dataset the state has never seen is listed whole by `refreshMarts`).
 */
export function createMartRefresh(deps: MartRefreshDependencies): MartRefresh {
  return async (request) =>
    refreshMarts({
      engine: deps.engine,
      store: deps.lake,
      writer: deps.writer,
      models: deps.models,
      ...(request.hints === undefined ? {} : { hints: request.hints }),
      ...(request.rebuild === undefined ? {} : { rebuild: request.rebuild }),
      definitionExtra: (model) => referenceDefinition(model, deps.models, deps.referenceDir),
      onStatement: ({ model, days, ms }) =>
        deps.logger.info('mart partitions replaced', {
          model,
          days: days.length,
          first: days[0],
          last: days.at(-1),
          ms: Math.round(ms),
        }),
    });
}
