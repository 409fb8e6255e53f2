import { type Command, Option } from 'commander';
import type { AthenaQueryEngine } from '../engine/athena';
import { UsageError } from './program';

/** The options that pick where a command's SQL runs: `--engine duckdb|athena --workgroup --database`. */
export interface EngineOptions {
  readonly engine: 'duckdb' | 'athena';
  readonly workgroup?: string;
  readonly database?: string;
}

/** Adds `--engine`, `--workgroup` and `--database` to a command (`report`, `query`). */
export function addEngineOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--engine <engine>',
        'where to run the queries: the local lake (duckdb) or a deployment (athena)',
      )
        .choices(['duckdb', 'athena'])
        .default('duckdb'),
    )
    .option('--workgroup <name>', 'Athena workgroup (with --engine athena; the stack outputs name it)')
    .option('--database <name>', 'Glue database holding the views (with --engine athena)');
}

/** Refuses Athena options without `--engine athena`, where they would be silently ignored. */
export function assertLocalEngine(options: EngineOptions): void {
  if (options.workgroup !== undefined || options.database !== undefined) {
    throw new UsageError('--workgroup and --database go with --engine athena');
  }
}

/**
 * The Athena engine, imported only when asked for: the local path never loads the AWS SDK. Region,
 * credentials and endpoint come from the usual AWS settings (`AWS_REGION`, profiles,
 * `AWS_ENDPOINT_URL_ATHENA`).
 */
export async function openAthena(options: EngineOptions): Promise<AthenaQueryEngine> {
  if (!options.workgroup || !options.database) {
    throw new UsageError(
      '--engine athena needs --workgroup W and --database D (the stack outputs name both)',
    );
  }
  const [{ AthenaClient }, { AthenaQueryEngine }] = await Promise.all([
    import('@aws-sdk/client-athena'),
    import('../engine/athena'),
  ]);
  return new AthenaQueryEngine({
    client: new AthenaClient({}),
    workgroup: options.workgroup,
    database: options.database,
  });
}
