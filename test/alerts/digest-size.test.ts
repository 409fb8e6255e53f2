import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/alerts/digest';
import { SnsAlertPublisher, type SnsSend } from '../../src/alerts/publishers';
import { buildSlackMessage } from '../../src/alerts/slack';
import type { AlertDigest, AlertEntry, AlertNotification } from '../../src/alerts/types';
import { entry } from './support';

/** SNS's limit for a published message, body and attributes together (256 KiB of UTF-8). */
const SNS_LIMIT_BYTES = 256 * 1024;

const DIGEST: Omit<AlertDigest, 'entries'> = {
  rule: 'account_balance_move',
  severity: 'warning',
  model: 'fact_account_daily_balance',
  entityKey: 'account_id',
  metric: 'closing_balance',
  day: '2024-06-02',
  description: 'Account closing balance moved by half or more in a day',
  thresholdRate: 0.5,
  direction: 'both',
};

/**
 * `count` breaches whose |change| is 1,000 + 7 x i for entity i, every other one a fall, handed over
 * in an order unrelated to their size (i x 7919 mod count), so only sorting lists the largest first.
 */
function breaches(count: number, entityId: (i: number) => string): AlertEntry[] {
  return Array.from({ length: count }, (_, n) => {
    const i = (n * 7919) % count;
    const change = (i % 2 === 0 ? 1 : -1) * (1_000 + 7 * i);
    return entry({
      entityId: entityId(i),
      previousBalance: 1_500,
      currentBalance: 1_500 + change,
      change,
      changeRate: change / 1_500,
      isSignFlip: 1_500 + change < 0,
      fingerprint: `f${i}`,
    });
  });
}

const ASCII_IDS = (i: number) => `acct-${String(i).padStart(5, '0')}`;
/**
 * 2- and 3-byte characters (62 bytes in 38 characters before the number): a cap that counted
 * characters instead of bytes would let this digest reach about 276,000 bytes, over SNS's limit.
 */
const MULTIBYTE_IDS = (i: number) => `Zürich-Genève-${'ü€'.repeat(12)}-${String(i).padStart(5, '0')}`;

/** What the publisher sends: the PublishCommand input, through a stand-in SNS client. */
async function published(notification: AlertNotification) {
  const inputs: {
    Subject: string;
    Message: string;
    MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
  }[] = [];
  const client = {
    send: async (command: { input: (typeof inputs)[number] }) => {
      inputs.push(command.input);
      return { MessageId: 'm-1' };
    },
  } as unknown as SnsSend;
  await new SnsAlertPublisher(client, 'arn:aws:sns:eu-west-1:123456789012:balance-alerts').publish(
    notification,
  );
  return inputs[0]!;
}

/** The entity ids in the digest's table, in the order listed. */
function listedIds(text: string): string[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => line.startsWith('  account_id'));
  const rows: string[] = [];
  for (const line of lines.slice(header + 1)) {
    if (!line.startsWith('  ')) break;
    rows.push(line.trim().split(/\s+/)[0]!);
  }
  return rows;
}

describe('renderDigest with 5,000 breaches', () => {
  it.each([
    ['ASCII', ASCII_IDS],
    ['multi-byte', MULTIBYTE_IDS],
  ])(
    'keeps the SNS message with its attributes under 256 KB in UTF-8 bytes (%s entity ids)',
    async (_, ids) => {
      const notification = renderDigest({ ...DIGEST, entries: breaches(5_000, ids) });

      const input = await published(notification);

      const bytes =
        Buffer.byteLength(input.Subject) +
        Buffer.byteLength(input.Message) +
        Object.entries(input.MessageAttributes).reduce(
          (sum, [name, value]) =>
            sum +
            Buffer.byteLength(name) +
            Buffer.byteLength(value.DataType) +
            Buffer.byteLength(value.StringValue),
          0,
        );
      expect(bytes).toBeLessThan(SNS_LIMIT_BYTES);
    },
  );

  it('lists the largest moves first, and only the largest', () => {
    const entries = breaches(5_000, ASCII_IDS);

    const listed = listedIds(renderDigest({ ...DIGEST, entries }).text);

    const largest = [...entries]
      .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
      .slice(0, listed.length)
      .map((e) => e.entityId);
    expect(listed.length).toBeGreaterThan(1_000);
    expect(listed.length).toBeLessThan(5_000);
    expect(listed).toEqual(largest);
    expect(listed[0]).toBe('acct-04999');
  });

  it('says how many more entities there are and how many breaches in all', () => {
    const notification = renderDigest({ ...DIGEST, entries: breaches(5_000, ASCII_IDS) });

    const listed = listedIds(notification.text).length;
    expect(notification.subject).toMatch(/: 5000 accounts moved, top acct-04999 /);
    expect(notification.text).toContain(`5000 accounts breached, the ${listed} largest moves first:`);
    expect(notification.text).toContain(
      `and ${5_000 - listed} more accounts (5000 breaches in all); to see them all:`,
    );
  });

  it('gives the query that lists every breach of the rule on the day, from one partition', () => {
    const notification = renderDigest({ ...DIGEST, entries: breaches(5_000, ASCII_IDS) });

    expect(notification.text.trimEnd().split('\n').at(-1)).toBe(
      "select * from balance_moves where rule_name = 'account_balance_move' and balance_date = date '2024-06-02' and is_breach order by abs(change) desc",
    );
  });

  it.each([
    ['ASCII', ASCII_IDS],
    ['multi-byte', MULTIBYTE_IDS],
  ])(
    'builds a valid Slack payload that still shows the "more" line and the query (%s entity ids)',
    (_, ids) => {
      const notification = renderDigest({ ...DIGEST, entries: breaches(5_000, ids) });

      const message = buildSlackMessage(notification);

      expect(message.blocks.length).toBeLessThanOrEqual(50);
      const texts = message.blocks.flatMap((block) => {
        const own = (block.text as { text?: string } | undefined)?.text;
        const elements = ((block.elements ?? []) as { text?: string }[]).map((element) => element.text);
        return [own, ...elements].filter((text): text is string => text !== undefined);
      });
      for (const text of texts) expect(text.length).toBeLessThanOrEqual(3_000);
      const section = texts[1]!;
      expect(section).toMatch(/^```\n[\s\S]*\n```$/);
      expect(section).toMatch(/\n {2}\.\.\. \d+ more row\(s\) in the email\n/);
      expect(section).toMatch(/\nand \d+ more accounts \(5000 breaches in all\); to see them all:\n/);
      expect(section).toContain("select * from balance_moves where rule_name = 'account_balance_move'");
    },
  );
});

describe('renderDigest with a few breaches', () => {
  it('lists every entity as before, with no "more" line and no query', () => {
    const notification = renderDigest({
      ...DIGEST,
      entries: [
        entry({}),
        entry({
          entityId: 'acct-2',
          previousBalance: 0,
          currentBalance: 1500,
          change: 1500,
          changeRate: null,
          isFromZero: true,
        }),
        entry({
          entityId: 'acct-3',
          previousBalance: 250,
          currentBalance: -40,
          change: -290,
          changeRate: -1.16,
          isSignFlip: true,
        }),
      ],
    });

    expect(notification.text).toBe(
      [
        'Account closing balance moved by half or more in a day.',
        '',
        'Rule:      account_balance_move (severity warning)',
        'Balance:   closing_balance of fact_account_daily_balance, per account_id',
        'Threshold: |change| >= 50% of the previous balance, either direction',
        'Day:       2024-06-02',
        '',
        '3 accounts breached, largest move first:',
        '',
        '  account_id  previous       new     change     rate  note',
        '  acct-2          0.00  1,500.00  +1,500.00   from 0  from zero',
        '  acct-3        250.00    -40.00    -290.00  -116.0%  sign flip: positive to negative',
        '  acct-1        100.00    160.00     +60.00   +60.0%',
        '',
      ].join('\n'),
    );
  });
});
