import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type Command, Option } from 'commander';
import { DATASETS } from '../../../datasets';
import { type IngestResult, ingestObject } from '../../ingest/ingest-object';
import type { Manifest } from '../../ingest/manifest';
import { FsObjectStore } from '../../storage/fs-store';
import {
  emptyFolderReason,
  folderIdentity,
  kindOfPath,
  openRegularFile,
  RefusedPathError,
} from '../local-files';
import { lakeDir, lakeOption, UsageError } from '../program';
import { createProgress } from '../progress';
import { escapeControl } from '../terminal';

/** Local files to land, each with the dataset it belongs to. */
export interface LocalFile {
  readonly path: string;
  readonly dataset: string;
}

/**
 * The dataset of a local file: `--dataset`, else a `landing/<dataset>/` folder in its path, else a
 * parent folder named like a dataset, else a file name starting with a dataset name
 * (`transactions_2024-06.csv`), else its parent folder's name (an unknown dataset is rejected, with
 * the list of known ones).
 */
export function guessDataset(path: string, known: readonly string[] = DATASETS.map((d) => d.name)): string {
  const parts = resolve(path).split(sep);
  const landing = parts.lastIndexOf('landing');
  if (landing >= 0 && landing < parts.length - 2) return parts[landing + 1]!;
  for (const folder of parts.slice(0, -1).reverse()) if (known.includes(folder)) return folder;
  const name = basename(path).toLowerCase();
  const byPrefix = known.find((d) => name.startsWith(d) && /^[^a-z0-9]?$/.test(name.charAt(d.length)));
  return byPrefix ?? basename(dirname(resolve(path)));
}

/**
 * The local files named by `paths` (folders walked, hidden entries skipped), each with its dataset.
 * Paths that are not regular files or folders of them are added to `refused`, with the reason (without
 * `refused`, the first of them is thrown as a UsageError).
 * @throws UsageError for a missing path, or two files that would land under one key
 */
export async function expandLocalFiles(
  paths: readonly string[],
  dataset: string | undefined,
  refusedPaths?: RefusedPathError[],
): Promise<LocalFile[]> {
  const refused = refusedPaths ?? [];
  const files: LocalFile[] = [];
  const folders = new Set<string>();
  const visit = async (path: string, named: boolean) => {
    let kind: 'file' | 'folder';
    try {
      kind = await kindOfPath(path);
    } catch (error) {
      if (!(error instanceof RefusedPathError)) throw error;
      if (named && error.reason === 'no such file or folder')
        throw new UsageError(`no such file or folder: ${path}`);
      refused.push(error);
      return;
    }
    if (kind === 'folder') {
      // A symlink back up the tree would otherwise be walked forever.
      const identity = await folderIdentity(path);
      if (folders.has(identity)) return;
      folders.add(identity);
      const before = files.length + refused.length;
      const entries = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
      for (const entry of entries) await visit(join(path, entry), false);
      if (files.length + refused.length === before)
        refused.push(new RefusedPathError(path, emptyFolderReason()));
    } else {
      files.push({ path, dataset: dataset ?? guessDataset(path) });
    }
  };
  for (const path of paths) await visit(path, true);
  if (refusedPaths === undefined && refused.length > 0) throw new UsageError(refused[0]!.message);
  // A drop's identity is its path under the landing zone, as on S3: two files may only share a
  // landing key when they are the same file (named twice); otherwise the second would replace the first.
  const byKey = new Map<string, string>();
  const unique: LocalFile[] = [];
  for (const file of files) {
    const key = landingKey(file);
    const other = byKey.get(key);
    if (other === resolve(file.path)) continue;
    if (other)
      throw new UsageError(`${other} and ${file.path} would both land as ${key}: ingest them separately`);
    byKey.set(key, resolve(file.path));
    unique.push(file);
  }
  return unique;
}

/**
 * The landing key of a local file: `landing/<dataset>/` and its path relative to the working folder
 * (`raw/2026/03/01/transactions.csv`), so same-named files of different folders stay two sources, and
 * a folder ingested whole gives the same keys as its files ingested one by one. A file already in a
 * `landing/<dataset>/` layout keeps its path under that folder; a file outside the working folder keeps
 * its absolute path.
 */
export function landingKey(file: LocalFile, cwd = process.cwd()): string {
  const absolute = resolve(cwd, file.path);
  const parts = absolute.split(sep);
  const landing = parts.lastIndexOf('landing');
  if (landing >= 0 && landing < parts.length - 2 && parts[landing + 1] === file.dataset)
    return `landing/${file.dataset}/${parts.slice(landing + 2).join('/')}`;
  const fromCwd = relative(cwd, absolute);
  const inside = fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd);
  const path = (inside ? fromCwd : absolute).split(sep).filter((part) => part !== '');
  return `landing/${file.dataset}/${path.join('/')}`;
}

/** One summary line per file, e.g. `ok  landing/transactions/a.csv  480 valid, 12 quarantined, 3 duplicates, 1 day`. */
export function describeResult({ manifest, skipped }: IngestResult): string {
  const key = escapeControl(manifest.source_key);
  if (skipped) return `unchanged  ${key}  (already ingested; --force to ingest again)`;
  if (manifest.status === 'rejected')
    return `REJECTED   ${key}  ${escapeControl(manifest.rejection_reason ?? '')}`;
  const days = manifest.partitions.length;
  const range =
    days === 0 ? '' : ` ${manifest.partitions[0]}${days > 1 ? `..${manifest.partitions[days - 1]}` : ''}`;
  return (
    `ok         ${key}  ${manifest.rows_valid} valid, ${manifest.rows_quarantined} quarantined, ` +
    `${manifest.duplicates_dropped} duplicates, ${days} day${days === 1 ? '' : 's'}${range} (${manifest.duration_ms} ms)`
  );
}

/** Totals over manifests, for the last line of `ingest` and `demo`. */
export function totals(manifests: readonly Manifest[]) {
  return manifests.reduce(
    (t, m) => ({
      files: t.files + 1,
      rejected: t.rejected + (m.status === 'rejected' ? 1 : 0),
      read: t.read + m.rows_read,
      valid: t.valid + m.rows_valid,
      quarantined: t.quarantined + m.rows_quarantined,
      duplicates: t.duplicates + m.duplicates_dropped,
    }),
    { files: 0, rejected: 0, read: 0, valid: 0, quarantined: 0, duplicates: 0 },
  );
}

/** One file of `ingest --json`: its manifest, or why it was refused before it was read. */
interface IngestJsonEntry {
  readonly path: string;
  /** `ok` / `rejected` (the manifest's status), `skipped` (this content was ingested before), `refused`. */
  readonly status: string;
  readonly manifest?: Manifest;
  readonly reason?: string;
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('Land local files in the lake (as if dropped in the landing zone) and ingest them.')
    .argument('<paths...>', 'files or folders to ingest (CSV, JSON, NDJSON, optionally .gz; Parquet)')
    .addOption(lakeOption())
    .option('--dataset <name>', 'dataset of every file (default: guessed from folders and file names)')
    .option('--force', 'ingest again even when the same content was ingested before', false)
    .option('--json', 'print one JSON entry per file (its manifest, or why it was refused), as an array')
    .addOption(
      new Option('--threads <n>', 'threads an ingest may use: 2 splits a large CSV in two (1: one thread)')
        .choices(['1', '2'])
        .default(String(Math.min(2, availableParallelism()))),
    )
    .action(
      async (
        paths: string[],
        options: { lake: string; dataset?: string; force: boolean; json?: boolean; threads: string },
      ) => {
        if (options.dataset && !DATASETS.some((d) => d.name === options.dataset)) {
          throw new UsageError(
            `unknown dataset '${options.dataset}' (known: ${DATASETS.map((d) => d.name).join(', ')})`,
          );
        }
        const lake = new FsObjectStore(lakeDir(options));
        const refused: RefusedPathError[] = [];
        const files = await expandLocalFiles(paths, options.dataset, refused);
        const entries: IngestJsonEntry[] = [];
        const refuse = (error: RefusedPathError) => {
          if (options.json) entries.push({ path: error.path, status: 'refused', reason: error.reason });
          else console.log(`REFUSED    ${escapeControl(error.path)}  ${escapeControl(error.reason)}`);
        };
        for (const error of refused) refuse(error);
        let failed = refused.length;
        for (const file of files) {
          const key = landingKey(file);
          let opened: Awaited<ReturnType<typeof openRegularFile>>;
          try {
            opened = await openRegularFile(file.path);
          } catch (error) {
            if (!(error instanceof RefusedPathError)) throw error;
            refuse(error);
            failed++;
            continue;
          }
          await lake.put(key, opened.handle.createReadStream({ highWaterMark: 1 << 20 }));
          const progress = createProgress(basename(file.path), opened.size);
          const result = await ingestObject({
            landing: lake,
            lake,
            key,
            force: options.force,
            threads: Number(options.threads),
            onWarning: (message) => {
              progress.done(); // clears the bar; the next update draws it again
              console.error(`ledgerlake: warning: ${escapeControl(message)}; ingested again in one thread`);
            },
            unknownDatasetFix:
              'name it with --dataset <name>, or keep the file in a landing/<dataset>/ folder',
            onProgress: (p) => progress.update(p.bytesRead, `${p.rows.toLocaleString('en-US')} rows`),
          });
          progress.done();
          if (result.manifest.status === 'rejected') failed++;
          if (options.json) {
            entries.push({
              path: file.path,
              status: result.skipped ? 'skipped' : result.manifest.status,
              manifest: result.manifest,
            });
          } else console.log(describeResult(result));
        }
        if (options.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        if (failed > 0) process.exitCode = 1;
      },
    );
}
