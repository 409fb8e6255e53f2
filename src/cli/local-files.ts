/**
 * The local paths `ledgerlake ingest` accepts: regular files, and folders of them (symlinks to either
 * are followed). Anything else (a FIFO, which would block the read forever; a device such as
 * /dev/zero, which never ends; a socket; a folder holding no file) is refused with a reason before a
 * byte is landed, so nothing half-written is left behind.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';

/** A path the CLI will not ingest, and why. */
export class RefusedPathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'RefusedPathError';
  }
}

/** What a path is, in words, for anything but a regular file or folder. */
export function describeFileType(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

const ONLY_REGULAR = 'ledgerlake ingests regular files and folders of them';

/**
 * Whether `path` is a regular file or a folder (after symlinks). Throws `RefusedPathError` for any
 * other kind of file, and for a path that does not exist (with `missing` as the reason).
 */
export async function kindOfPath(path: string): Promise<'file' | 'folder'> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RefusedPathError(path, 'no such file or folder');
    if (code === 'ELOOP') throw new RefusedPathError(path, 'a symlink loop');
    throw new RefusedPathError(path, `cannot read it (${code ?? (error as Error).message})`);
  }
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'folder';
  throw new RefusedPathError(path, `${describeFileType(stats)}, not a regular file; ${ONLY_REGULAR}`);
}

/** The real path of a folder, to visit each folder once even through symlink loops. */
export function folderIdentity(path: string): Promise<string> {
  return realpath(path);
}

/** Reason for a folder that holds no file to ingest (hidden files are skipped). */
export function emptyFolderReason(): string {
  return `a folder holding no files to ingest; ${ONLY_REGULAR}`;
}

/**
 * Opens a regular file for reading without blocking on a FIFO, and checks on the open handle that it
 * is still a regular file (it may have been replaced since it was listed). The caller closes it.
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new RefusedPathError(path, `cannot open it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new RefusedPathError(path, `${describeFileType(stats)}, not a regular file; ${ONLY_REGULAR}`);
  }
  return { handle, size: stats.size };
}
