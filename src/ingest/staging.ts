import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Local folders an ingest works in: the Parquet parts it stages before the upload, and a Parquet
 * source spooled to disk. Removed when the ingest ends; a killed process (or a Lambda invocation cut
 * off at its time limit, whose /tmp the next invocation inherits) leaves them behind.
 */
export const STAGING_DIR_PREFIX = 'ledgerlake-staging-';
export const SPOOL_DIR_PREFIX = 'ledgerlake-parquet-';

/**
 * Removes the ingest folders under `dir` (os.tmpdir() or `tmpDir`) not modified for `olderThanMs`:
 * 0 where nothing else can be ingesting (the start of a Lambda invocation), a day for a laptop
 * where another ingest may be running. Returns how many were removed.
 */
export async function sweepStagingDirs(
  dir: string,
  options: { readonly olderThanMs: number; readonly now?: Date },
): Promise<number> {
  const cutoff = (options.now ?? new Date()).getTime() - options.olderThanMs;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of entries) {
    if (!name.startsWith(STAGING_DIR_PREFIX) && !name.startsWith(SPOOL_DIR_PREFIX)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory() || info.mtimeMs > cutoff) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
