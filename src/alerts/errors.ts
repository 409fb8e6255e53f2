/** Errors of the alerts feature. Each says what was wrong, where, and what to do. */

/** A row of reference/alert_rules.csv that cannot be applied. */
export class AlertRuleError extends Error {
  constructor(
    message: string,
    readonly rule: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlertRuleError';
  }
}

/** A digest that could not be delivered; its ledger claims were released so a re-run sends it. */
export class AlertDeliveryError extends Error {
  constructor(
    message: string,
    readonly failures: readonly { readonly rule: string; readonly day: string; readonly error: unknown }[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlertDeliveryError';
  }
}

/** A Slack message that was not accepted after every attempt and had no dead-letter sink to go to. */
export class SlackDeliveryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastStatus: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SlackDeliveryError';
  }
}

/** A bad `date` passed to the evaluation (the CLI checks its option before). */
export class AlertDateError extends Error {
  constructor(readonly date: string) {
    super(`alert date must look like 2024-06-30, got '${date}'`);
    this.name = 'AlertDateError';
  }
}
