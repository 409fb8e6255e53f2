/** The shapes alerts move through: a breaching balance move, a digest, the message sent. */

export type AlertSeverity = 'info' | 'warning' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

export type AlertDirection = 'up' | 'down' | 'both';
export const ALERT_DIRECTIONS: readonly AlertDirection[] = ['up', 'down', 'both'];

/** What a zero previous balance means: a "from zero" alert above a minimum amount, or nothing. */
export type ZeroPreviousBehaviour = 'from_zero' | 'ignore';
export const ZERO_PREVIOUS_BEHAVIOURS: readonly ZeroPreviousBehaviour[] = ['from_zero', 'ignore'];

/** One row of `balance_moves` that breaches its rule. */
export interface BalanceMove {
  readonly rule: string;
  readonly severity: AlertSeverity;
  /** Balance model (view) the rule watches. */
  readonly model: string;
  /** Column naming the entity, e.g. `account_id`. */
  readonly entityKey: string;
  readonly metric: string;
  readonly entityId: string;
  /** Balance date, `YYYY-MM-DD`. */
  readonly day: string;
  readonly previousBalance: number;
  readonly currentBalance: number;
  readonly change: number;
  /** change / |previous|; null when the previous balance was 0. */
  readonly changeRate: number | null;
  readonly isFromZero: boolean;
  readonly isSignFlip: boolean;
  readonly thresholdRate: number;
  readonly direction: AlertDirection;
  readonly description: string;
}

/** A move to be sent, with its ledger fingerprint; `revision` when an earlier balance was alerted. */
export interface AlertEntry extends BalanceMove {
  /** Fingerprint of (previous, current): a corrected balance gets a new one. */
  readonly fingerprint: string;
  readonly revision: boolean;
}

/** Every new breach of one rule on one day, largest move first. */
export interface AlertDigest {
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly model: string;
  readonly entityKey: string;
  readonly metric: string;
  readonly day: string;
  readonly description: string;
  readonly thresholdRate: number;
  readonly direction: AlertDirection;
  readonly entries: readonly AlertEntry[];
}

/**
 * A digest rendered for people: what SNS publishes (subject, plain-text body, attributes for
 * subscription filter policies) and what the Slack payload is built from, in AWS and locally alike.
 */
export interface AlertNotification {
  /** One line, ASCII, at most 100 characters (SNS's limit for email subjects). */
  readonly subject: string;
  /** Plain text, for email. */
  readonly text: string;
  /** `rule`, `severity`, `model`, `metric`, `day`, `revision`. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Where digests go: SNS in AWS; the console or a Slack webhook locally. */
export interface AlertPublisher {
  /** For messages, e.g. `sns:arn:...` or `console`. */
  readonly name: string;
  /** Delivers one notification. Throws when it could not; the evaluation then releases the claims. */
  publish(notification: AlertNotification, digest: AlertDigest): Promise<void>;
}
