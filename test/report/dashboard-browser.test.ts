import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import { buildReport } from '../../src/report/build-report';
import type { LakeFixture } from '../sql/lake-fixture';
import { findChromium, launchChromium, VIEWPORTS } from './chromium';
import { createReportLake, HOSTILE_CATEGORY, HOSTILE_CITY, SPAN } from './report-fixture';

const chromium = findChromium();

/** Known answers worked out by hand in report-fixture.ts, read off the page Chromium draws. */
describe.skipIf(!chromium)('the dashboard of a hand-made lake in headless Chromium', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;
  let browser: Browser;
  let page: Page;
  let file: string;
  const dialogs: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    ({ lake, engine } = await createReportLake());
    const dir = mkdtempSync(join(tmpdir(), 'ledgerlake-dashboard-'));
    file = join(dir, 'report.html');
    writeFileSync(file, await buildReport(engine, { ...SPAN, now: new Date('2024-03-15T12:00:00Z') }));
    browser = await launchChromium(chromium!);
    page = await browser.newPage({ viewport: VIEWPORTS.laptop });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.close();
    await lake?.close();
    if (file) rmSync(join(file, '..'), { recursive: true, force: true });
  });

  async function open(fragment = ''): Promise<void> {
    await page.goto(`file://${file}${fragment}`);
    await page.waitForSelector('html[data-ready]');
  }

  const card = (key: string) =>
    page
      .locator(`[data-kpi="${key}"]`)
      .innerText()
      .then((t) => t.replace(/\s+/g, ' ').trim());

  // The 7 days before (1-7 Mar) are partly before the lake: only 2 and 3 Mar have transactions.
  it('shows the KPI cards of the 7 days and their change against the 7 days before', async () => {
    await open();

    expect(await card('revenue')).toBe(
      'Revenue 7.30 USD ▲ +265.0% vs previous period (only 2 of 7 days have data)',
    );
    expect(await card('transactions')).toBe(
      'Transactions 4 ▲ +100.0% vs previous period (only 2 of 7 days have data)',
    );
    expect(await card('failure-rate')).toBe(
      'Failure rate 25.0% ▼ −25.0 pp vs previous period (only 2 of 7 days have data)',
    );
    expect(await card('processing-time')).toBe(
      'Avg processing time 1.25 s ▼ −37.5% vs previous period (only 2 of 7 days have data)',
    );
  });

  it.each([
    [
      '#region=west',
      'Revenue 3.30 USD – vs previous period (only 2 of 7 days have data)',
      'Transactions 2 – vs previous period (only 2 of 7 days have data)',
    ],
    [
      '#segment=premium',
      'Revenue 3.30 USD – vs previous period (only 2 of 7 days have data)',
      'Transactions 2 – vs previous period (only 2 of 7 days have data)',
    ],
    [
      '#segment=retail',
      'Revenue 4.00 USD ▲ +100.0% vs previous period (only 2 of 7 days have data)',
      'Transactions 2 ■ 0.0% vs previous period (only 2 of 7 days have data)',
    ],
    ['#city=seattle&channel=credit_card', 'No data for this selection.', null],
  ])('follows the selection %s', async (fragment, revenue, transactions) => {
    await open(fragment);

    if (transactions === null) {
      expect(await page.locator('#kpi-cards').innerText()).toContain(revenue);
    } else {
      expect(await card('revenue')).toBe(revenue);
      expect(await card('transactions')).toBe(transactions);
    }
  });

  it('sets the state and region of a city given alone in the fragment', async () => {
    await open('#city=seattle');

    expect(await page.inputValue('select[name=region]')).toBe('west');
    expect(await page.inputValue('select[name=state]')).toBe('WA');
    expect(await page.locator('#selection-summary').innerText()).toContain('Seattle, WA (west)');
  });

  it('draws the balance of an account and its moves', async () => {
    await open('#account=A2');

    const rows = await page.$$eval('table[data-figures="account-moves"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => (td.textContent ?? '').trim())),
    );
    expect(rows).toEqual([
      ['2024-03-10', '0.00', '+1,000.00', '1,000.00'],
      ['2024-03-13', '1,000.00', '−100.00', '900.00'],
    ]);
    const alerts = await page.locator('table[data-figures="alerts"] tbody').innerText();
    expect(alerts.replace(/\s+/g, ' ').trim()).toBe(
      '2024-03-10 account_balance_move warning A2 0.00 1,000.00 from zero',
    );
  });

  it('says when an account is not among those the page holds', async () => {
    await open('#account=A404');

    expect(await page.locator('#account-view').innerText()).toContain(
      'Account A404 is not among the 4 accounts',
    );
  });

  it('shows names from the data as text, never as markup', async () => {
    await open('#region=unknown');

    const cities = await page.$$eval('select[name=city] option', (o) => o.map((x) => x.textContent));
    expect(cities).toContain(HOSTILE_CITY);
    await open();
    expect(await page.evaluate('document.querySelector("#sales-category").textContent')).toContain(
      HOSTILE_CATEGORY,
    );
    expect(await page.evaluate('document.querySelectorAll("img, main script").length')).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });
});
