/** A record that could not be parsed at all, e.g. an NDJSON line that is not JSON. Quarantined later. */
export class UnparseableRecord {
  constructor(
    /** The record as it appears in the file (without its line break). */
    readonly text: string,
    /** Why it could not be parsed, e.g. `invalid JSON at column 12: expected ',' or '}' ...`. */
    readonly reason: string,
  ) {}
}
