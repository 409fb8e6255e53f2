/**
 * Raised when a landed file cannot be read at all: binary data, invalid UTF-8, a corrupt gzip stream,
 * an empty file, a CSV without header, JSON that is not records, an unterminated quoted field.
 * The ingest stage rejects the whole file and records `reason` in the manifest (`rejection_reason`).
 * Problems with single records never raise this: they are passed on for quarantine.
 */
export class UnreadableFileError extends Error {
  /** The reason without the file name, e.g. `binary data (NUL byte at offset 17)`. */
  readonly reason: string;

  constructor(
    readonly fileName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read ${fileName}: ${reason}`, options);
    this.name = 'UnreadableFileError';
    this.reason = reason;
  }
}
