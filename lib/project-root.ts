import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (lib/ -> ..): Lambda entries, the lock file and reference/ are found from it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
