/** Vitest global setup: the CLI tests run the shipped binary, so it is compiled from the current sources first. */
// @ts-expect-error: a plain ESM build script without type declarations
import { buildCli } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildCli();
}
