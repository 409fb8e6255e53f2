import type { Command } from 'commander';
import { buildCatalog, sqlString } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import { lakeOption, parseIsoDateOption } from '../program';
import { existingLake, failCommand } from './query';

/**
 * `ledgerlake balance <account_id> --date YYYY-MM-DD [--lake DIR]`: the account's closing balance on
 * that day, from the gap-filled daily snapshot (so a day without activity shows the balance carried
 * over). Only successful transactions move balances.
 */
export function registerBalanceCommand(program: Command): void {
  program
    .command('balance')
    .description("Print an account's closing balance on a date (days without activity carry the balance).")
    .argument('<account_id>', 'account (wallet) id')
    .requiredOption('--date <YYYY-MM-DD>', 'the day to report')
    .addOption(lakeOption())
    .action(async (accountId: string, options: { date: string; lake?: string }, command: Command) => {
      const date = parseIsoDateOption(options.date, '--date');
      const dir = existingLake(options);
      const engine = await openDuckDb({ source: dir });
      try {
        await buildCatalog(engine, { lakeDir: dir, models: ['fact_account_daily_balance'] });
        const account = sqlString(accountId);
        const bounds = await engine.query(
          `select min(balance_date) as first_day, max(balance_date) as last_day
           from fact_account_daily_balance where account_id = ${account}`,
        );
        const firstDay = bounds.rows[0]?.first_day;
        const lastDay = bounds.rows[0]?.last_day;
        if (typeof firstDay !== 'string' || typeof lastDay !== 'string') {
          failCommand(
            command,
            `unknown account '${accountId}': no transactions for it in the lake at ${dir}`,
            'ledgerlake.balance.unknown_account',
          );
        }
        if (date < firstDay) {
          failCommand(
            command,
            `account '${accountId}' has no balance on ${date}: its first transaction is on ${firstDay}`,
            'ledgerlake.balance.before_first_transaction',
          );
        }
        // After the last day in the lake nothing is known to have moved: the last balance stands.
        const afterLake = date > lastDay; // ISO dates compare as text
        const day = afterLake ? lastDay : date;
        const result = await engine.query(
          `select customer_id, opening_balance, net_change, closing_balance, transaction_count
           from fact_account_daily_balance where account_id = ${account} and balance_date = date '${day}'`,
        );
        const row = result.rows[0]!;
        const note = !afterLake ? '' : ` (the lake ends on ${lastDay}; no later activity is known)`;
        process.stdout.write(
          `account ${accountId} (customer ${String(row.customer_id)}) on ${date}: closing balance ${money(row.closing_balance)}${note}\n` +
            `  opening ${money(row.opening_balance)}, net change ${money(row.net_change, true)} from ` +
            `${String(row.transaction_count)} successful transaction(s) on ${day}\n`,
        );
      } finally {
        await engine.close();
      }
    });
}

function money(value: unknown, signed = false): string {
  const n = Number(value);
  const text = n.toFixed(2);
  return signed && n >= 0 ? `+${text}` : text;
}
