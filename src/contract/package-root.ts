import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of ledgerlake's package.json, found by walking up from `moduleUrl`: `src/sql/models.ts`
 * (run through tsx) and `dist/cli.mjs` (the compiled CLI) sit at different depths, and both read the
 * package's `sql/`, `datasets/`, `schema/` and `reference/` folders. Falls back to `levelsUp` folders
 * above the module where no package.json is found (a Lambda bundle, which reads none of them).
 */
export function packageRoot(moduleUrl: string, levelsUp: number): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'datasets'))) return dir;
    if (dirname(dir) === dir) break;
  }
  return resolve(start, ...Array<string>(levelsUp).fill('..'));
}
