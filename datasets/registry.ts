import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contractFilesIn, loadContractFolder } from '../src/contract/contract-file';
import { packageRoot } from '../src/contract/package-root';
import type { DatasetContract } from '../src/contract/types';

/**
 * Where the datasets of a run come from: the built-in contracts (the YAML files of this folder) and a
 * project's own contracts folder. Read once per process, synchronously, so the CLI, `cdk synth` and the
 * tests all see the same list.
 */

/** The folder of the built-in contract files. */
export const BUILT_IN_CONTRACTS_DIR = join(packageRoot(import.meta.url, 1), 'datasets');

/** Names a project's contracts folder; the CLI's `--contracts DIR` sets it. */
export const CONTRACTS_DIR_VARIABLE = 'LEDGERLAKE_CONTRACTS';

/** A project's contracts folder when none is named: `contracts/` of the working folder, when present. */
export const DEFAULT_CONTRACTS_DIR = 'contracts';

/**
 * Contracts compiled into a Lambda bundle at synth time (see lib/constructs/ledgerlake-function.ts):
 * esbuild replaces this name with `serializeContracts(DATASETS)` in base64. Undefined elsewhere.
 */
declare const LEDGERLAKE_BUNDLED_CONTRACTS: string | undefined;

/**
 * The built-in contracts, compiled into the CLI by scripts/build.mjs (`serializeContracts`), so a
 * command starts without parsing and schema-checking ten YAML files (about 0.2 s). Undefined when the
 * sources run through tsx; a project's own contracts are always read from their files.
 */
declare const LEDGERLAKE_BUILT_IN_CONTRACTS: string | undefined;

/**
 * The project's contracts folder: `$LEDGERLAKE_CONTRACTS` (must exist), else `./contracts` when it holds
 * contract files, else none.
 */
export function projectContractsDir(): string | undefined {
  const named = process.env[CONTRACTS_DIR_VARIABLE];
  if (named !== undefined && named !== '') return resolve(named);
  const fallback = resolve(DEFAULT_CONTRACTS_DIR);
  return existsSync(fallback) && contractFilesIn(fallback).length > 0 ? fallback : undefined;
}

let loaded: readonly DatasetContract[] | undefined;

/**
 * Every dataset of this run: the built-in ones, then the project's (sorted by file name). A project
 * contract may not reuse a built-in name.
 * @throws ContractFileError naming the file and the place in it
 */
export function loadDatasets(): readonly DatasetContract[] {
  if (loaded) return loaded;
  if (typeof LEDGERLAKE_BUNDLED_CONTRACTS === 'string') {
    loaded = reviveContracts(Buffer.from(LEDGERLAKE_BUNDLED_CONTRACTS, 'base64').toString('utf8'));
    return loaded;
  }
  const builtIn =
    typeof LEDGERLAKE_BUILT_IN_CONTRACTS === 'string'
      ? reviveContracts(LEDGERLAKE_BUILT_IN_CONTRACTS)
      : loadContractFolder(BUILT_IN_CONTRACTS_DIR);
  const dir = projectContractsDir();
  const declared = new Map(builtIn.map((d) => [d.name, `the built-in datasets/${d.name}.yaml`]));
  const project =
    dir === undefined || dir === BUILT_IN_CONTRACTS_DIR ? [] : loadContractFolder(dir, declared);
  loaded = [...builtIn, ...project];
  return loaded;
}

/** Contracts as JSON (regular expressions as `{ "$regex": source, "flags": flags }`). */
export function serializeContracts(contracts: readonly DatasetContract[]): string {
  return JSON.stringify(contracts, (_key, value: unknown) =>
    value instanceof RegExp ? { $regex: value.source, flags: value.flags } : value,
  );
}

/** The contracts `serializeContracts` wrote. */
export function reviveContracts(json: string): DatasetContract[] {
  return JSON.parse(json, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && '$regex' in value) {
      const { $regex, flags } = value as { $regex: string; flags: string };
      return new RegExp($regex, flags);
    }
    return value;
  }) as DatasetContract[];
}
