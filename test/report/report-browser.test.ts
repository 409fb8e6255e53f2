import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReportPage, findChromium, launchChromium, VIEWPORTS } from './chromium';
import { writeDemoReport } from './demo-report';

/** Screenshots land here for people to look at (git-ignored). */
const ARTIFACTS = resolve('artifacts');
const chromium = findChromium();
const MISSING =
  'no Chromium found (looked for /usr/bin/chromium, /usr/bin/chromium-browser, $CHROMIUM_PATH); ' +
  'install it with `apt-get install -y chromium` to run the report browser test';
if (!chromium && !process.env.CI) console.warn(`report browser test skipped: ${MISSING}`);

// In CI the browser is part of the machine (.ci/run installs it): its absence is a failure, not a skip.
if (!chromium && process.env.CI) {
  describe('the report browser test in CI', () => {
    it('has a Chromium to run in', () => {
      expect.fail(MISSING);
    });
  });
}

describe.skipIf(!chromium)(
  'the demo report in headless Chromium (skipped when no Chromium is installed)',
  () => {
    let lakeDir: string;
    let reportFile: string;
    let browser: Browser;

    beforeAll(async () => {
      lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-report-'));
      mkdirSync(ARTIFACTS, { recursive: true });
      reportFile = join(ARTIFACTS, 'report.html');
      await writeDemoReport(lakeDir, reportFile);
      browser = await launchChromium(chromium!);
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
    });

    it.each(Object.entries(VIEWPORTS))(
      'renders at %s width with no console errors, no requests, every chart drawn and nothing overflowing',
      async (name, viewport) => {
        const screenshot = join(ARTIFACTS, `report-${name}.png`);

        const page = await checkReportPage(browser, reportFile, viewport, [screenshot]);

        expect(page.errors).toEqual([]);
        expect(page.requests).toEqual([]);
        expect(page.charts.length).toBeGreaterThanOrEqual(10);
        for (const chart of page.charts) {
          expect(chart, chart.label).toEqual({
            label: chart.label,
            width: expect.toSatisfy((w: number) => w > 200 && w <= viewport.width),
            height: expect.toSatisfy((h: number) => h > 80),
            marks: expect.toSatisfy((n: number) => n > 0),
          });
        }
        expect(page.overflowPx).toBe(0);
      },
      60_000,
    );
  },
);
