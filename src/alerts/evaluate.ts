import { randomUUID } from 'node:crypto';
import type { QueryEngine, SqlValue } from '../engine/query-engine';
import type { RefreshResult } from '../materialize/refresh';
import type { ObjectStore } from '../storage/object-store';
import { compareMoves, renderDigest } from './digest';
import { AlertDateError, AlertDeliveryError, AlertRuleError } from './errors';
import { balanceFingerprint, SentAlertLedger } from './ledger';
import {
  ALERT_DIRECTIONS,
  ALERT_SEVERITIES,
  type AlertDigest,
  type AlertDirection,
  type AlertEntry,
  type AlertNotification,
  type AlertPublisher,
  type AlertSeverity,
  type BalanceMove,
  ZERO_PREVIOUS_BEHAVIOURS,
} from './types';

/** The view that applies every rule (sql/alerts/balance_moves.sql) and the rule table it reads. */
export const BALANCE_MOVES_VIEW = 'balance_moves';
export const ALERT_RULES_RELATION = 'ref_alert_rules';
const RULES_FILE = 'reference/alert_rules.csv';

export interface EvaluateAlertsOptions {
  /** DuckDB locally, Athena in AWS: the same SQL either way. */
  readonly engine: QueryEngine;
  /** Store holding the ledger of sent alerts (the lake). */
  readonly store: ObjectStore;
  readonly publisher: AlertPublisher;
  /** One balance date to evaluate, `YYYY-MM-DD`. */
  readonly date?: string;
  /** Several balance dates, e.g. the days an ingest touched. Combined with `date` when both are given. */
  readonly dates?: readonly string[];
  /**
   * With no `date` or `dates`: evaluate this many days up to the latest balance date, so a daily run
   * catches up on a day it missed (the ledger keeps already sent alerts from going out again).
   * @default 1
   */
  readonly lookbackDays?: number;
  /**
   * The latest balance date, when the caller knows it (a refresh returns the days `balance_moves`
   * holds): the look-back then reads no table to find it.
   * @default - `max(balance_date)` of balance_moves
   */
  readonly latestDate?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default the SentAlertLedger on `store` */
  readonly ledger?: SentAlertLedger;
}

/**
 * What to evaluate after a refresh of the marts, the same on AWS and locally: the days the refresh
 * rewrote in `balance_moves` when it refreshed them incrementally (a new day, a late file, a
 * correction); after a full build or when nothing changed, the latest day only (a first build does
 * not alert on the whole history; the ledger keeps a re-run from sending twice). `latestDate` is
 * always the last day balance_moves holds, so a look-back reads no table to find it.
 */
export function alertDatesAfterRefresh(
  refresh: RefreshResult | undefined,
): Pick<EvaluateAlertsOptions, 'dates' | 'latestDate'> {
  const moves = refresh?.models.find((model) => model.model === BALANCE_MOVES_VIEW);
  const latest = refresh?.partitions[BALANCE_MOVES_VIEW]?.at(-1);
  return {
    ...(moves?.mode === 'incremental' && moves.days.length > 0 ? { dates: moves.days } : {}),
    ...(latest === undefined ? {} : { latestDate: latest }),
  };
}

/** One digest delivered by a run. */
export interface DeliveredDigest {
  readonly digest: AlertDigest;
  readonly notification: AlertNotification;
}

export interface AlertRunResult {
  /** Balance dates evaluated. */
  readonly dates: readonly string[];
  /** Breaching moves found on those dates. */
  readonly breaches: number;
  /** Breaches already alerted by an earlier run (same balances): not sent again. */
  readonly alreadySent: number;
  readonly delivered: readonly DeliveredDigest[];
}

/**
 * Evaluates the alert rules for the given dates and delivers one digest per rule and day holding the
 * breaches no earlier run has alerted. Each breach is claimed in the ledger before it is sent (an
 * exactly-once claim); when publishing a digest fails its claims are released and the error is
 * raised after the other digests were tried, so a re-run sends what is missing.
 *
 * @throws AlertRuleError when a rule row is invalid (names the rule and the field)
 * @throws AlertDeliveryError when one or more digests could not be published
 */
export async function evaluateAlerts(options: EvaluateAlertsOptions): Promise<AlertRunResult> {
  const { engine, publisher } = options;
  const now = options.now ?? (() => new Date());
  const ledger = options.ledger ?? new SentAlertLedger(options.store);
  await checkAlertRules(engine);

  const dates = await datesToEvaluate(engine, options);
  if (dates.length === 0) return { dates, breaches: 0, alreadySent: 0, delivered: [] };
  const moves = await findBreaches(engine, dates);

  const runId = randomUUID();
  const delivered: DeliveredDigest[] = [];
  const failures: { rule: string; day: string; error: unknown }[] = [];
  let alreadySent = 0;
  for (const group of groupByRuleAndDay(moves)) {
    const first = group[0]!;
    const sent = await ledger.sentFor(first.rule, first.day);
    const claimed: AlertEntry[] = [];
    for (const move of group) {
      const fingerprint = balanceFingerprint(move);
      const earlier = sent.get(move.entityId);
      if (earlier?.has(fingerprint)) {
        alreadySent++;
        continue;
      }
      const entry: AlertEntry = { ...move, fingerprint, revision: earlier !== undefined && earlier.size > 0 };
      // Another run may have claimed it since the listing: the conditional write decides.
      if (await ledger.claim(entry, now(), runId)) claimed.push(entry);
      else alreadySent++;
    }
    if (claimed.length === 0) continue;

    const digest = toDigest(claimed);
    const notification = renderDigest(digest);
    try {
      await publisher.publish(notification, digest);
      delivered.push({ digest, notification });
    } catch (error) {
      await ledger.release(claimed);
      failures.push({ rule: digest.rule, day: digest.day, error });
    }
  }
  if (failures.length > 0) {
    const list = failures
      .map((f) => `${f.rule} ${f.day}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
      .join('; ');
    throw new AlertDeliveryError(
      `${failures.length} alert digest(s) could not be published to ${publisher.name} (${list}); ` +
        'their ledger claims were released, so running the evaluation again sends them',
      failures,
      { cause: failures[0]?.error },
    );
  }
  return { dates, breaches: moves.length, alreadySent, delivered };
}

/**
 * Checks every row of the rule table, so a typo in reference/alert_rules.csv is reported by rule and
 * field instead of silently never alerting.
 *
 * @throws AlertRuleError naming the file, the rule, the field, the value and what is allowed
 */
export async function checkAlertRules(engine: QueryEngine): Promise<void> {
  const { rows } = await engine.query(
    `select rule_name, direction, zero_previous, severity, threshold_rate, min_abs_change, from_zero_min_amount from ${ALERT_RULES_RELATION}`,
  );
  const seen = new Set<string>();
  for (const row of rows) {
    const rule = String(row.rule_name ?? '');
    const fail = (field: string, expected: string) => {
      throw new AlertRuleError(
        `${RULES_FILE}: rule '${rule}': ${field} must be ${expected}, got ${JSON.stringify(row[field] ?? null)}; ` +
          'fix the row and run again',
        rule,
      );
    };
    if (!/^[a-z][a-z0-9_]*$/.test(rule)) fail('rule_name', 'a snake_case name');
    if (seen.has(rule)) fail('rule_name', 'unique (the name appears twice)');
    seen.add(rule);
    const lower = (field: string) => String(row[field] ?? '').toLowerCase();
    if (!(ALERT_DIRECTIONS as readonly string[]).includes(lower('direction')))
      fail('direction', 'up, down or both');
    if (!(ZERO_PREVIOUS_BEHAVIOURS as readonly string[]).includes(lower('zero_previous'))) {
      fail('zero_previous', "'from_zero' or 'ignore'");
    }
    if (!(ALERT_SEVERITIES as readonly string[]).includes(lower('severity')))
      fail('severity', 'info, warning or critical');
    if (typeof row.threshold_rate !== 'number' || !(row.threshold_rate > 0)) {
      fail('threshold_rate', 'a positive fraction (0.50 for 50%)');
    }
    for (const field of ['min_abs_change', 'from_zero_min_amount']) {
      const value = row[field];
      if (value !== null && (typeof value !== 'number' || value < 0)) fail(field, 'a number >= 0');
    }
  }
}

async function datesToEvaluate(engine: QueryEngine, options: EvaluateAlertsOptions): Promise<string[]> {
  const given = [...(options.date === undefined ? [] : [options.date]), ...(options.dates ?? [])];
  for (const date of given) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      throw new AlertDateError(date);
    }
  }
  if (given.length > 0) return [...new Set(given)].sort();
  const latest =
    options.latestDate ??
    (await engine.query(`select max(balance_date) as latest from ${BALANCE_MOVES_VIEW}`)).rows[0]?.latest;
  if (typeof latest !== 'string') return [];
  const days = options.lookbackDays ?? 1;
  const end = Date.parse(`${latest}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) =>
    new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The breaching rows of `balance_moves` on the dates (validated `YYYY-MM-DD`, so safe to inline). */
async function findBreaches(engine: QueryEngine, dates: readonly string[]): Promise<BalanceMove[]> {
  const { rows } = await engine.query(
    `select rule_name, severity, model, entity_key, metric, entity_id, balance_date, previous_balance,
  current_balance, change, change_rate, is_from_zero, is_sign_flip, threshold_rate, direction, description
from ${BALANCE_MOVES_VIEW}
where is_breach
  and balance_date in (${dates.map((d) => `date '${d}'`).join(', ')})
order by rule_name, balance_date, entity_id`,
  );
  return rows.map(toMove);
}

function toMove(row: Record<string, SqlValue>): BalanceMove {
  return {
    rule: String(row.rule_name),
    severity: String(row.severity) as AlertSeverity,
    model: String(row.model),
    entityKey: String(row.entity_key),
    metric: String(row.metric),
    entityId: String(row.entity_id),
    day: String(row.balance_date),
    previousBalance: Number(row.previous_balance),
    currentBalance: Number(row.current_balance),
    change: Number(row.change),
    changeRate: row.change_rate === null ? null : Number(row.change_rate),
    isFromZero: row.is_from_zero === true,
    isSignFlip: row.is_sign_flip === true,
    thresholdRate: Number(row.threshold_rate),
    direction: String(row.direction) as AlertDirection,
    description: String(row.description ?? ''),
  };
}

function groupByRuleAndDay(moves: readonly BalanceMove[]): BalanceMove[][] {
  const groups = new Map<string, BalanceMove[]>();
  for (const move of moves) {
    const key = `${move.rule}\u0000${move.day}`;
    const group = groups.get(key) ?? [];
    group.push(move);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function toDigest(entries: readonly AlertEntry[]): AlertDigest {
  const first = entries[0]!;
  return {
    rule: first.rule,
    severity: first.severity,
    model: first.model,
    entityKey: first.entityKey,
    metric: first.metric,
    day: first.day,
    description: first.description,
    thresholdRate: first.thresholdRate,
    direction: first.direction,
    entries: [...entries].sort(compareMoves),
  };
}
