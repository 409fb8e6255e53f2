/**
 * Sharp balance moves for `ledgerlake demo`: extra landing files that make the alerts fire on the
 * demo's last day, so a new user sees a digest on the first run. Their accounts and organizations
 * have their own ids (`ALERT-...`, `ORG-...`), so they never disturb the demo's other figures.
 */

/** One extra file to land, e.g. `landing/transactions/alert-moves-2024-06-30.csv`. */
export interface PlantedFile {
  readonly key: string;
  readonly dataset: 'transactions' | 'organizations' | 'invoices' | 'holdings_movements' | 'stock_movements';
  readonly body: Uint8Array;
  /** Data rows in the file. */
  readonly rows: number;
}

/** An alert the planted files must raise on the last day (rule as in reference/alert_rules.csv). */
export interface PlantedAlert {
  readonly rule: string;
  readonly entityId: string;
  readonly story: string;
}

export interface PlantedMoves {
  readonly files: readonly PlantedFile[];
  readonly alerts: readonly PlantedAlert[];
}

const DAY_MS = 86_400_000;

/**
 * Files that plant three sharp account moves, one organization whose open invoices get paid, a
 * client who pledges most of a holding and a stock position that sells out.
 * Baselines are set two days before `lastDay` (so they never fall on the lake's first day, which
 * has no baseline), the moves on `lastDay`.
 *
 * @param lastDay the demo's last day, `YYYY-MM-DD`; the demo must span at least four days
 */
export function plantBalanceMoves(lastDay: string): PlantedMoves {
  const last = Date.parse(`${lastDay}T00:00:00Z`);
  if (Number.isNaN(last)) throw new Error(`plantBalanceMoves: lastDay must be YYYY-MM-DD, got '${lastDay}'`);
  const day = (offset: number) => new Date(last + offset * DAY_MS).toISOString().slice(0, 10);
  const baseline = day(-2);

  const transactions = [
    ['ALERT-T1', `${baseline}T10:00:00Z`, 'ALERT-C1', 'ALERT-UP', 'deposit', '1000.00'],
    ['ALERT-T2', `${lastDay}T11:00:00Z`, 'ALERT-C1', 'ALERT-UP', 'deposit', '900.00'],
    ['ALERT-T3', `${baseline}T10:00:00Z`, 'ALERT-C2', 'ALERT-FLIP', 'deposit', '500.00'],
    ['ALERT-T4', `${lastDay}T12:00:00Z`, 'ALERT-C2', 'ALERT-FLIP', 'withdrawal', '800.00'],
    ['ALERT-T5', `${baseline}T10:00:00Z`, 'ALERT-C3', 'ALERT-DROP', 'deposit', '2000.00'],
    ['ALERT-T6', `${lastDay}T13:00:00Z`, 'ALERT-C3', 'ALERT-DROP', 'payment', '1500.00'],
  ].map(([id, time, customer, account, type, amount]) =>
    [id, time, customer, account, 'net_banking', 'Boston', type, amount, 'USD', 'success', '1.2'].join(','),
  );
  const organizations = ['ORG-ACME,DE,4,,', 'ORG-GLOBEX,FR,2,2024-01-15,2024-01-15'].map(
    (row) => `${row},${lastDay}`,
  );
  const invoice = (id: string, org: string, status: string, amount: string, paid: string, snapshot: string) =>
    [
      id,
      '',
      paid === '' ? '' : `PAY-${id}`,
      org,
      'invoice',
      status,
      'EUR',
      'EUR',
      'sepa',
      amount,
      paid,
      '1',
      '1',
      snapshot,
    ].join(',');
  const openDay = day(-1);

  return {
    files: [
      csv(
        `landing/transactions/alert-moves-${lastDay}.csv`,
        'transactions',
        'transaction_id,event_time,customer_id,account_id,channel,city,type,amount,currency,status,processing_time_s',
        transactions,
      ),
      csv(
        `landing/organizations/organizations_${lastDay}.csv`,
        'organizations',
        'organization_id,legal_entity_country_code,count_total_contracts_active,first_payment_date,last_payment_date,snapshot_date',
        organizations,
      ),
      ...[
        [day(-2), 'open'],
        [openDay, 'open'],
        [lastDay, 'paid'],
      ].map(([snapshot, status]) =>
        csv(`landing/invoices/invoices_${snapshot}.csv`, 'invoices', INVOICE_HEADER, [
          invoice('INV-1001', 'ORG-ACME', status!, '7500.00', status === 'paid' ? '7500.00' : '', snapshot!),
          invoice('INV-1002', 'ORG-ACME', status!, '4500.00', status === 'paid' ? '4500.00' : '', snapshot!),
          invoice('INV-2001', 'ORG-GLOBEX', 'open', '3000.00', '', snapshot!),
        ]),
      ),
      csv(
        `landing/holdings_movements/alert-moves-${lastDay}.csv`,
        'holdings_movements',
        'movement_id,event_time,client_id,product_id,product_type,movement_type,units,price,currency',
        [
          `ALERT-H1,${baseline}T10:00:00Z,ALERT-CLIENT,FUND-ALERT,fund,buy,1000.00,20.00,USD`,
          `ALERT-H2,${lastDay}T10:00:00Z,ALERT-CLIENT,FUND-ALERT,fund,lien,800.00,,`,
        ],
      ),
      csv(
        `landing/stock_movements/alert-moves-${lastDay}.csv`,
        'stock_movements',
        'movement_id,event_time,product_id,location_id,to_location_id,movement_type,units,reason',
        [
          `ALERT-S1,${baseline}T08:00:00Z,SKU-ALERT,BR-ALERT,,receipt,100.00,`,
          `ALERT-S2,${lastDay}T15:00:00Z,SKU-ALERT,BR-ALERT,,issue,70.00,`,
        ],
      ),
    ],
    alerts: [
      { rule: 'account_balance_move', entityId: 'ALERT-DROP', story: '2,000.00 -> 500.00 (-75%)' },
      { rule: 'account_balance_move', entityId: 'ALERT-FLIP', story: '500.00 -> -300.00 (sign flip)' },
      { rule: 'account_balance_move', entityId: 'ALERT-UP', story: '1,000.00 -> 1,900.00 (+90%)' },
      {
        rule: 'organization_balance_move',
        entityId: 'ORG-ACME',
        story: 'open invoices paid: 12,000.00 -> 0.00',
      },
      {
        rule: 'portfolio_available_move',
        entityId: 'ALERT-CLIENT/FUND-ALERT',
        story: '800 of 1,000 units pledged: available 1,000.00 -> 200.00 (-80%)',
      },
      {
        rule: 'inventory_position_drop',
        entityId: 'SKU-ALERT@BR-ALERT',
        story: '70 of 100 units issued: 100.00 -> 30.00 (-70%)',
      },
    ],
  };
}

const INVOICE_HEADER =
  'invoice_id,parent_invoice_id,transaction_id,organization_id,type,status,currency,payment_currency,payment_method,' +
  'amount,payment_amount,fx_rate,fx_rate_payment,snapshot_date';

function csv(
  key: string,
  dataset: PlantedFile['dataset'],
  header: string,
  rows: readonly string[],
): PlantedFile {
  return {
    key,
    dataset,
    body: new TextEncoder().encode(`${header}\n${rows.join('\n')}\n`),
    rows: rows.length,
  };
}
