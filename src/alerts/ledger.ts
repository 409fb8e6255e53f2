import { createHash } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store';
import type { AlertEntry, BalanceMove } from './types';

/** Where the ledger of sent alerts lives in the lake. */
export const SENT_ALERTS_PREFIX = 'alerts/sent/';

/**
 * The ledger of sent alerts: one small object per (rule, day, entity, balance fingerprint), created
 * with a conditional write (`putIfAbsent`: S3 `If-None-Match: *`, an exclusive create on disk). Only
 * the run whose write succeeds sends the alert, so re-runs, re-dropped files and an ingest-triggered
 * run racing the daily schedule deliver each alert once.
 *
 * Why S3 and not DynamoDB: the lake bucket already exists, with its encryption, versioning and
 * grants; S3 conditional writes give the same exactly-once claim as a conditional PutItem; the
 * ledger is a few objects a day; and the local lake gets the same ledger with no extra service.
 *
 * Key: `alerts/sent/<rule>/<day>/<entity>/<fingerprint>.json`. Rule and day first, so one LIST reads
 * everything a digest needs. The fingerprint hashes the previous and new balance: a corrected file
 * that changes the balance gets a new fingerprint and alerts again, as a revision.
 */
export class SentAlertLedger {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = SENT_ALERTS_PREFIX,
  ) {}

  /** Fingerprints already claimed for a rule and day, by entity id. */
  async sentFor(rule: string, day: string): Promise<Map<string, Set<string>>> {
    const folder = `${this.prefix}${segment(rule)}/${day}/`;
    const sent = new Map<string, Set<string>>();
    for await (const object of this.store.list(folder)) {
      const match = /^([^/]+)\/([^/]+)\.json$/.exec(object.key.slice(folder.length));
      if (!match) continue;
      const entity = decodeURIComponent(match[1]!);
      const fingerprints = sent.get(entity) ?? new Set<string>();
      fingerprints.add(match[2]!);
      sent.set(entity, fingerprints);
    }
    return sent;
  }

  /** Claims an alert; true when this caller won and must send it, false when it was claimed before. */
  async claim(entry: AlertEntry, claimedAt: Date, runId: string): Promise<boolean> {
    const record = {
      rule: entry.rule,
      day: entry.day,
      entity_key: entry.entityKey,
      entity_id: entry.entityId,
      previous_balance: entry.previousBalance,
      current_balance: entry.currentBalance,
      change_rate: entry.changeRate,
      revision: entry.revision,
      claimed_at: claimedAt.toISOString(),
      run_id: runId,
    };
    return this.store.putIfAbsent(this.keyOf(entry), JSON.stringify(record), {
      contentType: 'application/json',
    });
  }

  /** Gives claims back after a failed delivery, so the next run sends them. */
  async release(entries: readonly AlertEntry[]): Promise<void> {
    await this.store.delete(entries.map((entry) => this.keyOf(entry)));
  }

  keyOf(entry: Pick<AlertEntry, 'rule' | 'day' | 'entityId' | 'fingerprint'>): string {
    return `${this.prefix}${segment(entry.rule)}/${entry.day}/${segment(entry.entityId)}/${entry.fingerprint}.json`;
  }
}

/**
 * Fingerprint of a move: the previous and new balance to the cent. Equal balances give the same
 * fingerprint however often the pipeline re-runs; a correction gives another.
 */
export function balanceFingerprint(move: Pick<BalanceMove, 'previousBalance' | 'currentBalance'>): string {
  const text = `${move.previousBalance.toFixed(2)}|${move.currentBalance.toFixed(2)}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A key segment for any id: `/` and `.` are escaped so ids can never add or climb folders. */
function segment(id: string): string {
  return encodeURIComponent(id).replaceAll('.', '%2E');
}
