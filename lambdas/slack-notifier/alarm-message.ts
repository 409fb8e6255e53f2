import type { SlackMessage } from '../../src/alerts/slack';

/**
 * The fields the Slack message uses from the JSON body CloudWatch publishes to SNS when an alarm
 * changes state (the operations topic). Other fields (`Trigger`, `AlarmArn`...) are ignored.
 */
export interface CloudWatchAlarmNotification {
  readonly AlarmName: string;
  readonly NewStateValue: string;
  readonly AlarmDescription?: string | null;
  readonly NewStateReason?: string;
  readonly OldStateValue?: string;
  readonly StateChangeTime?: string;
  /** The region's long name, e.g. `EU (Ireland)`. */
  readonly Region?: string;
  readonly AWSAccountId?: string;
}

/** Slack's limits: header text 150 characters, section text 3000. */
const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;

const STATE_EMOJI: Readonly<Record<string, string>> = {
  ALARM: ':rotating_light:',
  OK: ':white_check_mark:',
  INSUFFICIENT_DATA: ':grey_question:',
};

/**
 * The alarm notification an SNS message carries, or undefined when the message is something else (a
 * balance alert's plain-text digest): CloudWatch's JSON with a string `AlarmName` and `NewStateValue`.
 */
export function alarmFromSnsMessage(message: string): CloudWatchAlarmNotification | undefined {
  if (!message.trimStart().startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const candidate = parsed as Record<string, unknown>;
  return typeof candidate.AlarmName === 'string' && typeof candidate.NewStateValue === 'string'
    ? (candidate as unknown as CloudWatchAlarmNotification)
    : undefined;
}

/**
 * Block Kit payload for an alarm state change: a header with the new state and the alarm's name, the
 * alarm's description (what to do, set in lib/constructs/operations-alarms.ts) and CloudWatch's reason,
 * and a context line with the transition, region, account and time.
 */
export function buildAlarmSlackMessage(alarm: CloudWatchAlarmNotification): SlackMessage {
  const emoji = STATE_EMOJI[alarm.NewStateValue] ?? ':bell:';
  const title = `${alarm.NewStateValue}: ${alarm.AlarmName}`;
  const description = alarm.AlarmDescription ? escapeMrkdwn(alarm.AlarmDescription) : undefined;
  const reason = alarm.NewStateReason ? `_${escapeMrkdwn(alarm.NewStateReason)}_` : undefined;
  const body = [description, reason].filter((part) => part !== undefined).join('\n');
  const context = [
    alarm.OldStateValue === undefined ? undefined : `${alarm.OldStateValue} → *${alarm.NewStateValue}*`,
    alarm.Region,
    alarm.AWSAccountId === undefined ? undefined : `account ${alarm.AWSAccountId}`,
    alarm.StateChangeTime,
  ].filter((part): part is string => part !== undefined && part !== '');
  return {
    text: `${emoji} ${title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(title, HEADER_LIMIT), emoji: true } },
      ...(body === ''
        ? []
        : [{ type: 'section', text: { type: 'mrkdwn', text: truncate(body, SECTION_LIMIT) } }]),
      ...(context.length === 0
        ? []
        : [
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: `${emoji} ${escapeMrkdwn(context.join(' | '))}` }],
            },
          ]),
    ],
  };
}

/** Slack reads `&`, `<` and `>` as markup (CloudWatch's reasons contain `OK -> ALARM`). */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
