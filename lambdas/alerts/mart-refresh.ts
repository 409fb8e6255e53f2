import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueryEngine } from '../../src/engine/query-engine';
import { referenceDefinition } from '../../src/materialize/athena-writer';
import { type MartWriter, refreshMarts } from '../../src/materialize/refresh';
import { MARTS_STATE_KEY } from '../../src/materialize/state';
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
 * The refresh the alerts function runs before evaluating: `refreshMarts` with the event's hints, or
 * without them when the lake has no refresh state yet. A first refresh builds every model in full
 * and must list every day, not only the ingest's (with hints it would know only those days).
 */
export function createMartRefresh(deps: MartRefreshDependencies): MartRefresh {
  return async (request) => {
    let hints = request.hints;
    if (hints !== undefined && (await deps.lake.head(MARTS_STATE_KEY)) === undefined) {
      deps.logger.info(`no ${MARTS_STATE_KEY} in the lake yet: listing every day, not only the ingest's`);
      hints = undefined;
    }
    return refreshMarts({
      engine: deps.engine,
      store: deps.lake,
      writer: deps.writer,
      models: deps.models,
      ...(hints === undefined ? {} : { hints }),
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
  };
}
