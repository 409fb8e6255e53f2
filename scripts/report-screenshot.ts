/**
 * Writes the README's screenshot of the report: the demo data in a throwaway lake, the report with
 * its default range, then Chromium at laptop width. `docs/report.png` is the top of the page (key
 * figures, trends, channels, sales); full-page laptop and phone captures go to `artifacts/`.
 *
 *   node --import tsx scripts/report-screenshot.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  checkReportPage,
  findChromium,
  launchChromium,
  VIEWPORTS,
  waitUntilDrawn,
} from '../test/report/chromium';
import { writeDemoReport } from '../test/report/demo-report';

/** Height of the README image: down to the end of the sales section at 1280 px. */
const README_HEIGHT = 2200;

const chromium = findChromium();
if (!chromium) {
  console.error('report-screenshot: no Chromium found; install it with `apt-get install -y chromium`');
  process.exit(1);
}
const artifacts = resolve('artifacts');
mkdirSync(artifacts, { recursive: true });
const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-screenshot-'));
const browser = await launchChromium(chromium);
try {
  const reportFile = join(artifacts, 'report.html');
  const html = await writeDemoReport(lakeDir, reportFile);
  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    const check = await checkReportPage(browser, reportFile, viewport, [
      join(artifacts, `report-${name}.png`),
    ]);
    if (check.errors.length > 0)
      throw new Error(`console errors at ${name} width: ${check.errors.join('; ')}`);
  }
  const page = await browser.newPage({ viewport: VIEWPORTS.laptop });
  await page.goto(`file://${reportFile}`);
  await waitUntilDrawn(page);
  await page.screenshot({
    path: resolve('docs', 'report.png'),
    clip: { x: 0, y: 0, width: 1280, height: README_HEIGHT },
    fullPage: true,
  });
  await page.close();
  console.log(
    `report ${Math.round(Buffer.byteLength(html) / 1024)} KB; wrote docs/report.png and artifacts/report-{laptop,phone}.png`,
  );
} finally {
  await browser.close();
  rmSync(lakeDir, { recursive: true, force: true });
}
