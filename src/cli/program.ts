import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { packageRoot } from '../contract/package-root';

/** Default local lake folder, relative to the working directory. */
export const DEFAULT_LAKE_DIR = '.ledgerlake';

/** The `--lake DIR` option every command takes, so several lakes can live side by side. */
export function lakeOption(): Option {
  return new Option('--lake <dir>', 'local lake folder').default(DEFAULT_LAKE_DIR);
}

/** Absolute lake folder from a command's options. */
export function lakeDir(options: { lake?: string }): string {
  return resolve(options.lake ?? DEFAULT_LAKE_DIR);
}

/**
 * The `--contracts DIR` option: a folder of dataset contract files (YAML or JSON) read besides the
 * built-in datasets; without it, `./contracts` when it holds any. Read before the commands load (see
 * contracts-option.ts), declared here so commander accepts it and shows it in the help.
 */
export function contractsOption(): Option {
  return new Option(
    '--contracts <dir>',
    'folder of dataset contract files (YAML or JSON) besides the built-in datasets (default: ./contracts when present)',
  );
}

/** A mistake in how a command was called: reported as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a `YYYY-MM-DD` option value or throws a UsageError naming the option. */
export function parseIsoDateOption(value: string, option: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new UsageError(`${option} must be a date like 2024-06-30, got '${value}'`);
  }
  return value;
}

/** Parses a positive integer option value or throws a UsageError naming the option. */
export function parsePositiveIntOption(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${option} must be a positive whole number, got '${value}'`);
  return n;
}

/** Creates the root `ledgerlake` command; subcommands are added by `src/cli/commands/*`. */
export function createProgram(): Command {
  return (
    new Command('ledgerlake')
      .description(
        'Validate transaction and balance files into a Parquet lake, query it with SQL and get balance alerts.',
      )
      .version(packageVersion(), '--version', 'print the version and exit')
      .addOption(contractsOption())
      .showHelpAfterError('(add --help for usage)')
      // Throw instead of exiting, so main.ts maps every usage error to exit code 2. Set before the
      // subcommands are added: commander copies it into each one when it is created.
      .exitOverride()
      .configureOutput({
        // One prefix for every error: commander's own ("error: unknown option ...") read like ours.
        outputError: (text, write) => write(text.replace(/^error: /, 'ledgerlake: ')),
      })
  );
}

/** The version in ledgerlake's package.json. */
export function packageVersion(): string {
  const file = join(packageRoot(import.meta.url, 2), 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
