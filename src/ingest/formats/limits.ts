/**
 * What a landed file may hold before it is rejected whole: the bounds that keep memory and time flat
 * whatever a hostile or broken file contains. The same limits apply to every format; README
 * ("Limits on what a file may hold") documents them.
 */
export interface InputLimits {
  /**
   * Longest record, in characters (a CSV record, a JSON record, an NDJSON line; also leading white
   * space and a wrapping JSON object). A longer one rejects the file.
   * @default DEFAULT_LIMITS.maxRecordChars (16 Mi characters)
   */
  readonly maxRecordChars: number;
  /**
   * Most bytes a gzipped file may decompress to.
   * @default DEFAULT_LIMITS.maxDecompressedBytes (16 GiB)
   */
  readonly maxDecompressedBytes: number;
  /**
   * Highest ratio of decompressed to compressed bytes, checked once `ratioCheckAfterBytes` have been
   * decompressed (a small file may compress very well; a gzip bomb compresses about 1000:1).
   * @default DEFAULT_LIMITS.maxCompressionRatio (200)
   */
  readonly maxCompressionRatio: number;
  /** @default DEFAULT_LIMITS.ratioCheckAfterBytes (64 MiB) */
  readonly ratioCheckAfterBytes: number;
  /**
   * Deepest nesting of arrays and objects in a JSON record (the record itself is level 1). A deeper
   * record is quarantined with the reason.
   * @default DEFAULT_LIMITS.maxNestingDepth (64)
   */
  readonly maxNestingDepth: number;
  /**
   * Parquet: the largest row group (uncompressed bytes, as its metadata gives them), since a row group
   * is read into memory whole.
   * @default DEFAULT_LIMITS.maxRowGroupBytes (256 MiB)
   */
  readonly maxRowGroupBytes: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  maxRecordChars: 16 * 1024 * 1024,
  maxDecompressedBytes: 16 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioCheckAfterBytes: 64 * 1024 * 1024,
  maxNestingDepth: 64,
  maxRowGroupBytes: 256 * 1024 * 1024,
};

/** `DEFAULT_LIMITS` with the given limits replaced. */
export function resolveLimits(limits: Partial<InputLimits> | undefined): InputLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/** `1.5 MiB`-style size for messages. */
export function describeBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
