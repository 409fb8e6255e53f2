import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALERT_RULES_TABLE } from '../../datasets/reference';
import type { AlertDigest, AlertEntry, AlertNotification, AlertPublisher } from '../../src/alerts/types';
import { buildCatalog, DEFAULT_REFERENCE_DIR } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import type { LakeFixture } from '../sql/lake-fixture';

/** One row of reference/alert_rules.csv. */
export interface RuleRow {
  readonly rule_name: string;
  readonly model: string;
  readonly entity_key: string;
  readonly metric: string;
  readonly threshold_rate: number;
  readonly direction: string;
  readonly min_abs_change: number;
  readonly zero_previous: string;
  readonly from_zero_min_amount: number;
  readonly severity: string;
  readonly description: string;
}

/** An account rule with the default threshold (|change| >= 50%, both directions). */
export function accountRule(overrides: Partial<RuleRow> = {}): RuleRow {
  return {
    rule_name: 'account_move',
    model: 'fact_account_daily_balance',
    entity_key: 'account_id',
    metric: 'closing_balance',
    threshold_rate: 0.5,
    direction: 'both',
    min_abs_change: 0,
    zero_previous: 'from_zero',
    from_zero_min_amount: 25,
    severity: 'warning',
    description: 'Account balance moved by half or more',
    ...overrides,
  };
}

/** An organization rule on one metric of fact_organization_daily_financials. */
export function organizationRule(metric: string, overrides: Partial<RuleRow> = {}): RuleRow {
  return accountRule({
    rule_name: `organization_${metric}_move`,
    model: 'fact_organization_daily_financials',
    entity_key: 'organization_id',
    metric,
    description: `Organization ${metric} moved by half or more`,
    ...overrides,
  });
}

/**
 * A copy of the repo's reference folder whose alert_rules.csv holds exactly `rules`: the thresholds a
 * test uses travel the same way as in production, as rows of the rule table.
 */
export function referenceDirWith(rules: readonly RuleRow[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerlake-reference-'));
  cpSync(DEFAULT_REFERENCE_DIR, dir, { recursive: true });
  const header = ALERT_RULES_TABLE.columns.map((c) => c.name);
  const lines = rules.map((rule) => header.map((name) => String(rule[name as keyof RuleRow])).join(','));
  writeFileSync(join(dir, ALERT_RULES_TABLE.file), `${[header.join(','), ...lines].join('\n')}\n`);
  return dir;
}

/** The local catalog over a fixture lake, built up to the alert views. */
export async function alertCatalog(lake: LakeFixture, referenceDir: string): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source: lake.dir, threads: 1 });
  await buildCatalog(engine, { lakeDir: lake.dir, referenceDir, models: ['balance_moves'] });
  return engine;
}

/** A publisher that keeps what it was given; `failNext` makes the next publishes throw. */
export class RecordingPublisher implements AlertPublisher {
  readonly name = 'recording';
  readonly published: { notification: AlertNotification; digest: AlertDigest }[] = [];
  failNext = 0;

  async publish(notification: AlertNotification, digest: AlertDigest): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('topic unavailable');
    }
    this.published.push({ notification, digest });
  }
}

/** One breach of the account rule as a digest lists it (acct-1, 100 -> 160); override what the test is about. */
export function entry(overrides: Partial<AlertEntry>): AlertEntry {
  return {
    rule: 'account_balance_move',
    severity: 'warning',
    model: 'fact_account_daily_balance',
    entityKey: 'account_id',
    metric: 'closing_balance',
    entityId: 'acct-1',
    day: '2024-06-02',
    previousBalance: 100,
    currentBalance: 160,
    change: 60,
    changeRate: 0.6,
    isFromZero: false,
    isSignFlip: false,
    thresholdRate: 0.5,
    direction: 'both',
    description: 'Account closing balance moved by half or more in a day',
    fingerprint: 'f1',
    revision: false,
    ...overrides,
  };
}
