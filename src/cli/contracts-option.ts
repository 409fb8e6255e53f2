/**
 * Reads `--contracts DIR` before any command module loads the datasets (they are read once, at import),
 * and reports a contract file that cannot be used as one line naming the file and the place in it.
 * Imported first by main.ts; `contractsOption()` in program.ts declares the option for commander.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONTRACTS_DIR_VARIABLE, loadDatasets } from '../../datasets/registry';

const argv = process.argv.slice(2);
const at = argv.findIndex((arg) => arg === '--contracts' || arg.startsWith('--contracts='));
if (at >= 0) {
  const arg = argv[at]!;
  const dir = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  if (dir === undefined || dir === '' || dir.startsWith('-')) {
    console.error('ledgerlake: --contracts needs a folder of dataset contract files');
    process.exit(2);
  }
  if (!existsSync(dir)) {
    console.error(`ledgerlake: --contracts ${dir}: no such folder`);
    process.exit(2);
  }
  process.env[CONTRACTS_DIR_VARIABLE] = resolve(dir);
}

try {
  loadDatasets();
} catch (error) {
  console.error(`ledgerlake: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
