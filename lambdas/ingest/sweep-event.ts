/**
 * The input the daily schedule sends the ingest function to run the sweeper (src/ingest/commit.ts)
 * instead of an SQS batch. Its own module: the stack imports it without the handler's dependencies.
 */
export const SWEEP_EVENT = { ledgerlake: 'sweep' } as const;
