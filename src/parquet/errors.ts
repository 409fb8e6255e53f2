/** Errors raised while writing Parquet parts. */

/** A value, a column layout or a call sequence the writer cannot turn into a valid Parquet file. */
export class ParquetWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParquetWriteError';
  }
}

/** The byte sink (a file, an upload) failed; the part is incomplete and must not be published. */
export class ParquetSinkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParquetSinkError';
  }
}
