/** Errors the Lambda handlers raise. Names end in `Error`, `this.name` is set and the cause is kept. */

/** The function's environment lacks a variable or holds a bad value: a deployment bug, fail at cold start. */
export class EnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid Lambda environment: ${problems.join('; ')}`);
    this.name = 'EnvironmentError';
  }
}

/** An SQS message whose body is not an S3 event notification we understand. */
export class UnreadableMessageError extends Error {
  constructor(
    readonly messageId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`SQS message ${messageId}: ${message}`, options);
    this.name = 'UnreadableMessageError';
  }
}

/** A view could not be created or dropped in Athena; names the view and carries Athena's reason. */
export class ViewDeploymentError extends Error {
  constructor(
    readonly view: string,
    readonly action: 'create' | 'drop',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not ${action} view ${view}: ${reason}`, options);
    this.name = 'ViewDeploymentError';
  }
}

/** The Slack webhook secret is missing, empty or not a URL. */
export class SlackWebhookSecretError extends Error {
  constructor(
    readonly secretId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack webhook secret ${secretId}: ${message}`, options);
    this.name = 'SlackWebhookSecretError';
  }
}
