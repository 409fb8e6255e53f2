import { type Command, Option } from 'commander';
import { buildCatalog, sqlString } from '../../engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../engine/duckdb';
import { lakeOption, parseIsoDateOption, UsageError } from '../program';
import { existingLake, failCommand } from './query';

/** A row of a balance snapshot, as the engine returns it. */
type Row = Readonly<Record<string, unknown>>;

/**
 * One balance model `ledgerlake balance` can look up: its gap-filled daily snapshot, the entity the
 * argument names, and the optional second key (`--product`, `--location`) that narrows it to one row.
 */
interface BalanceModel {
  readonly relation: string;
  readonly dayColumn: string;
  /** Column the `<id>` argument matches, and what it is called in messages. */
  readonly entityColumn: string;
  readonly entityNoun: string;
  /** What a day's row is made of, in messages ("transaction", "movement"). */
  readonly eventNoun: string;
  /** The narrowing option, when the model has a second key. */
  readonly detail?: { readonly option: 'product' | 'location'; readonly column: string };
  readonly columns: readonly string[];
  /** The lines printed for one row on `date` (`day` is the snapshot day used, see afterLake). */
  render(id: string, row: Row, date: string, day: string, note: string): string;
  /** An extra line after the rows when the lookup was not narrowed (the company-wide total). */
  total?(id: string, rows: readonly Row[], date: string): string;
}

const BALANCE_MODELS: Readonly<Record<'account' | 'portfolio' | 'inventory', BalanceModel>> = {
  account: {
    relation: 'fact_account_daily_balance',
    dayColumn: 'balance_date',
    entityColumn: 'account_id',
    entityNoun: 'account',
    eventNoun: 'transaction',
    columns: ['customer_id', 'opening_balance', 'net_change', 'closing_balance', 'transaction_count'],
    render: (id, row, date, day, note) =>
      `account ${id} (customer ${String(row.customer_id)}) on ${date}: closing balance ${amount(row.closing_balance)}${note}\n` +
      `  opening ${amount(row.opening_balance)}, net change ${amount(row.net_change, true)} from ` +
      `${String(row.transaction_count)} successful transaction(s) on ${day}\n`,
  },
  portfolio: {
    relation: 'fact_portfolio_daily_balance',
    dayColumn: 'balance_date',
    entityColumn: 'client_id',
    entityNoun: 'client',
    eventNoun: 'movement',
    detail: { option: 'product', column: 'product_id' },
    columns: [
      'product_id',
      'held_units',
      'lien_units',
      'available_units',
      'held_change',
      'lien_change',
      'movement_count',
      'last_price',
      'market_value',
    ],
    render: (id, row, date, day, note) =>
      `client ${id}, product ${String(row.product_id)} on ${date}: available ${amount(row.available_units)} units ` +
      `(held ${amount(row.held_units)}, under lien ${amount(row.lien_units)})${note}\n` +
      `  held change ${amount(row.held_change, true)}, lien change ${amount(row.lien_change, true)} from ` +
      `${String(row.movement_count)} movement(s) on ${day}; ` +
      (row.last_price === null
        ? 'no price known yet\n'
        : `last price ${amount(row.last_price)}, market value ${amount(row.market_value)}\n`),
  },
  inventory: {
    relation: 'fact_inventory_daily_position',
    dayColumn: 'position_date',
    entityColumn: 'product_id',
    entityNoun: 'product',
    eventNoun: 'movement',
    detail: { option: 'location', column: 'location_id' },
    columns: [
      'location_id',
      'opening_units',
      'received_units',
      'issued_units',
      'transferred_in_units',
      'transferred_out_units',
      'adjusted_units',
      'count_variance',
      'units_on_hand',
      'movement_count',
    ],
    render: (id, row, date, day, note) =>
      `product ${id} at ${String(row.location_id)} on ${date}: ${amount(row.units_on_hand)} units on hand${note}\n` +
      `  opening ${amount(row.opening_units)}; received ${amount(row.received_units)}, issued ${amount(row.issued_units)}, ` +
      `transferred in ${amount(row.transferred_in_units)} and out ${amount(row.transferred_out_units)}, ` +
      `adjusted ${amount(row.adjusted_units, true)}, count variance ${amount(row.count_variance, true)} from ` +
      `${String(row.movement_count)} movement(s) on ${day}\n`,
    total: (id, rows, date) =>
      `product ${id} company-wide on ${date}: ${amount(rows.reduce((sum, row) => sum + Number(row.units_on_hand), 0))} ` +
      `units on hand at ${rows.length} location(s)\n`,
  },
};

type ModelName = keyof typeof BALANCE_MODELS;

interface BalanceOptions {
  readonly date: string;
  readonly model: ModelName;
  readonly product?: string;
  readonly location?: string;
  readonly lake?: string;
  readonly json?: boolean;
}

/**
 * `ledgerlake balance <id> --date YYYY-MM-DD [--model account|portfolio|inventory] [--product P]
 * [--location L] [--lake DIR]`: a balance on a day from the gap-filled daily snapshot of the model,
 * so a day without activity shows what was carried over.
 *
 * - account (the default): `<id>` is an account; its closing balance (only successful transactions move it).
 * - portfolio: `<id>` is a client; held, lien and available units of `--product`, or of every product.
 * - inventory: `<id>` is a product; units on hand at `--location`, or at every location and in total.
 */
export function registerBalanceCommand(program: Command): void {
  program
    .command('balance')
    .description(
      "Print a balance on a date: an account's closing balance, a client's units of a product, a product's units on hand (days without activity carry the balance).",
    )
    .argument('<id>', 'account id (account), client id (portfolio) or product id (inventory)')
    .requiredOption('--date <YYYY-MM-DD>', 'the day to report')
    .addOption(
      new Option('--model <model>', 'which balance').choices(Object.keys(BALANCE_MODELS)).default('account'),
    )
    .option('--product <id>', 'portfolio: only this product (default: every product of the client)')
    .option('--location <id>', 'inventory: only this location (default: every location, and the total)')
    .addOption(lakeOption())
    .option('--json', 'print the balance as JSON (amounts and units as exact decimal strings)')
    .action(async (id: string, options: BalanceOptions, command: Command) => {
      const date = parseIsoDateOption(options.date, '--date');
      const model = BALANCE_MODELS[options.model];
      for (const option of ['product', 'location'] as const) {
        if (options[option] !== undefined && model.detail?.option !== option) {
          const owner = Object.entries(BALANCE_MODELS).find(([, m]) => m.detail?.option === option)?.[0];
          throw new UsageError(`--${option} applies to --model ${owner}, not to --model ${options.model}`);
        }
      }
      const detail = model.detail ? options[model.detail.option] : undefined;
      const dir = existingLake(options);
      const engine = await openDuckDb({ source: dir });
      try {
        await buildCatalog(engine, { lakeDir: dir, models: [model.relation] });
        const text = await lookUp(
          engine,
          model,
          { id, detail, date, lake: dir, json: options.json === true, modelName: options.model },
          (message, code) => failCommand(command, message, `ledgerlake.balance.${code}`),
        );
        process.stdout.write(text);
      } finally {
        await engine.close();
      }
    });
}

async function lookUp(
  engine: DuckDbEngine,
  model: BalanceModel,
  {
    id,
    detail,
    date,
    lake,
    json,
    modelName,
  }: { id: string; detail: string | undefined; date: string; lake: string; json: boolean; modelName: string },
  fail: (message: string, code: string) => never,
): Promise<string> {
  const where =
    `${model.entityColumn} = ${sqlString(id)}` +
    (model.detail && detail !== undefined ? ` and ${model.detail.column} = ${sqlString(detail)}` : '');
  const who =
    model.detail && detail !== undefined
      ? `${model.entityNoun} '${id}' with ${model.detail.option} '${detail}'`
      : `${model.entityNoun} '${id}'`;
  const bounds = await engine.query(
    `select min(${model.dayColumn}) as first_day, max(${model.dayColumn}) as last_day
     from ${model.relation} where ${where}`,
  );
  const firstDay = bounds.rows[0]?.first_day;
  const lastDay = bounds.rows[0]?.last_day;
  if (typeof firstDay !== 'string' || typeof lastDay !== 'string') {
    return fail(
      `unknown ${who}: no ${model.eventNoun}s for it in the lake at ${lake}`,
      `unknown_${model.entityNoun}`,
    );
  }
  if (date < firstDay) {
    return fail(
      `${who} has no balance on ${date}: its first ${model.eventNoun} is on ${firstDay}`,
      `before_first_${model.eventNoun}`,
    );
  }
  // After the last day in the lake nothing is known to have moved: the last balance stands.
  const afterLake = date > lastDay; // ISO dates compare as text
  const day = afterLake ? lastDay : date;
  const result = await engine.query(
    `select ${model.columns.join(', ')} from ${model.relation}
     where ${where} and ${model.dayColumn} = date '${day}'
     order by ${model.columns[0]}`,
    { exactNumbers: json },
  );
  if (json) {
    const answer = {
      model: modelName,
      id,
      ...(model.detail && detail !== undefined ? { [model.detail.option]: detail } : {}),
      date,
      // The snapshot day read: the date itself, or the lake's last day when the date is after it.
      as_of: day,
      rows: result.rows,
    };
    return `${JSON.stringify(answer, null, 2)}\n`;
  }
  const note = afterLake ? ` (the lake ends on ${lastDay}; no later activity is known)` : '';
  const lines = result.rows.map((row) => model.render(id, row, date, day, note));
  const total = model.total && detail === undefined ? model.total(id, result.rows, date) : '';
  return lines.join('') + total;
}

/** A balance or a number of units, two decimals, signed when asked. */
function amount(value: unknown, signed = false): string {
  const n = Number(value);
  const text = n.toFixed(2);
  return signed && n >= 0 ? `+${text}` : text;
}
