/**
 * The `ledgerlake` command line. Every command takes `--lake DIR`; a usage error prints one line
 * and exits with code 2.
 */
// First: reads --contracts before the command modules load the datasets.
import './contracts-option';
import { CommanderError } from 'commander';
import { registerAlertsCommand } from './commands/alerts';
import { registerBalanceCommand } from './commands/balance';
import { registerContractCommand } from './commands/contract';
import { registerDatasetsCommand } from './commands/datasets';
import { registerDemoCommand } from './commands/demo';
import { registerDocsCommand } from './commands/docs';
import { registerIngestCommand } from './commands/ingest';
import { registerInitCommand } from './commands/init';
import { registerQueryCommand } from './commands/query';
import { registerRefreshCommand } from './commands/refresh';
import { registerReportCommand } from './commands/report';
import { registerSweepCommand } from './commands/sweep';
import { registerTestCommand } from './commands/test';
import { registerValidateCommand } from './commands/validate';
import { createProgram, UsageError } from './program';
import { escapeControl, guardTerminalOutput } from './terminal';

// Text from files (names, headers, values) reaches the terminal only with its control characters escaped.
guardTerminalOutput(process.stdout);
guardTerminalOutput(process.stderr);
// A reader that stops early (`| head`) closes the pipe: that ends the command quietly, as in any Unix tool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = createProgram();
registerIngestCommand(program);
registerDemoCommand(program);
registerQueryCommand(program);
registerBalanceCommand(program);
registerAlertsCommand(program);
registerReportCommand(program);
registerRefreshCommand(program);
registerSweepCommand(program);
registerValidateCommand(program);
registerDatasetsCommand(program);
registerContractCommand(program);
registerInitCommand(program);
registerTestCommand(program);
registerDocsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its one-line reason (or the help text, which exits 0). Its own errors
    // are usage mistakes (2); a command's `failCommand` (code `ledgerlake.*`) is a data error (1).
    process.exitCode = error.exitCode === 0 ? 0 : error.code.startsWith('ledgerlake.') ? error.exitCode : 2;
  } else if (error instanceof UsageError) {
    console.error(`ledgerlake: ${escapeControl(error.message)}`);
    process.exitCode = 2;
  } else {
    console.error(`ledgerlake: ${escapeControl(error instanceof Error ? error.message : String(error))}`);
    if (process.env.LEDGERLAKE_DEBUG) console.error(error);
    process.exitCode = 1;
  }
}
