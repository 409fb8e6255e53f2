import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { yaml } from '../../contract/contract-file';
import { inferContract, type SampleColumn } from '../../contract/infer';
import { openSource, UnparseableRecord } from '../../ingest/formats/source-reader';
import { parsePositiveIntOption, UsageError } from '../program';

/** Dotted paths and values of a JSON record's scalar leaves (arrays are kept whole). */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
}

/** The first `limit` records of a file as columns and rows, read by the same readers as ingest. */
export async function readSample(
  path: string,
  limit: number,
): Promise<{ columns: SampleColumn[]; rows: unknown[][]; format: string }> {
  const source = await openSource(createReadStream(path), basename(path));
  const rows: unknown[][] = [];
  let columns: SampleColumn[] = [];
  const jsonColumns = new Map<string, number>();
  const jsonRows: Map<string, unknown>[] = [];
  try {
    if (source.header) columns = source.header.map((name) => ({ source: name.trim() }));
    outer: for await (const batch of source.batches()) {
      for (const record of batch.records) {
        if (rows.length + jsonRows.length >= limit) break outer;
        if (record instanceof UnparseableRecord) continue;
        if (source.header) {
          rows.push(record as string[]);
        } else {
          const leaves = new Map<string, unknown>();
          flatten(record, '', leaves);
          for (const key of leaves.keys()) if (!jsonColumns.has(key)) jsonColumns.set(key, jsonColumns.size);
          jsonRows.push(leaves);
        }
      }
    }
  } finally {
    await source.close();
  }
  if (!source.header) {
    const paths = [...jsonColumns.keys()];
    columns = paths.map((p) => (p.includes('.') ? { source: p, path: p } : { source: p }));
    for (const leaves of jsonRows) rows.push(paths.map((p) => leaves.get(p)));
  }
  return { columns, rows, format: source.format };
}

/** A contract as YAML, with the schema comment editors use to complete and check it. */
export function contractYaml(contract: object, notes: readonly string[]): string {
  const header = [
    '# yaml-language-server: $schema=./schema/dataset-contract.schema.json',
    '# Proposed by `ledgerlake contract infer`: check every guess, describe each column, then ingest.',
    ...notes.map((note) => `# - ${note}`),
  ];
  return `${header.join('\n')}\n${yaml().stringify(contract, { lineWidth: 0 })}`;
}

/** `ledgerlake contract infer FILE [--name N] [--rows N] [--out F]`. */
export function registerContractCommand(program: Command): void {
  const contract = program.command('contract').description('Work with dataset contracts.');
  contract
    .command('infer')
    .description(
      'Propose a contract from a sample file (types, date formats, likely key and event time) to edit ' +
        'and save in a contracts folder.',
    )
    .argument('<file>', 'a sample file (CSV, JSON, NDJSON, optionally .gz)')
    .option('--name <dataset>', 'dataset name (default: from the file name)')
    .option('--rows <n>', 'records to sample', '10000')
    .option('--out <file>', 'write the contract there instead of printing it')
    .option('--json', 'print the proposed contract and the notes to check as JSON', false)
    .action(async (file: string, options: { name?: string; rows: string; out?: string; json: boolean }) => {
      const limit = parsePositiveIntOption(options.rows, '--rows');
      const name =
        options.name ??
        basename(file)
          .replace(/(\.[a-z0-9]+)+$/i, '')
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .replace(/^_+|_+$|^[0-9_]+/g, '');
      if (!/^[a-z][a-z0-9_]*$/.test(name))
        throw new UsageError(`--name must be snake_case like 'wire_transfers', got '${name}'`);
      const sample = await readSample(file, limit);
      if (sample.rows.length === 0) throw new UsageError(`${file} has no records to infer a contract from`);
      const { contract: proposed, notes } = inferContract(name, sample.columns, sample.rows, {
        fileName: basename(file),
      });
      const text = contractYaml(proposed, notes);
      if (options.json) {
        if (options.out) await writeFile(options.out, text);
        const report = {
          contract: proposed,
          notes,
          sampled: sample.rows.length,
          ...(options.out ? { written: options.out } : {}),
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else if (options.out) {
        await writeFile(options.out, text);
        console.error(
          `wrote ${options.out}: ${proposed.columns.length} columns, ${notes.length} note(s) to check`,
        );
      } else {
        process.stdout.write(text);
      }
    });
}
