/**
 * Headless Debian Chromium for the report's browser test and the README screenshot, driven by
 * playwright-core (no browser download). The background-networking flags matter here: without them
 * Chromium's own connections are refused on this machine's closed network and show up as errors.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  process.env.CHROMIUM_PATH ?? '',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].filter(Boolean);

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium executable, or undefined when none is installed. */
export function findChromium(): string | undefined {
  return CHROMIUM_CANDIDATES.find((path) => existsSync(path));
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

/**
 * Waits until the page script has unpacked its data and drawn the views (it marks `<html
 * data-ready>`); a page that fails to draw is left to the caller's checks (its errors are reported).
 */
export async function waitUntilDrawn(page: Page): Promise<void> {
  await page.waitForSelector('html[data-ready]', { timeout: 15_000 }).catch(() => undefined);
}

/** The viewports the report must work at. */
export const VIEWPORTS = {
  laptop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/** What a page load reported, and what the charts look like in it. */
export interface ReportPageCheck {
  /** Console errors and uncaught page errors. */
  readonly errors: readonly string[];
  /** Requests the page tried to make (a self-contained page makes none besides itself). */
  readonly requests: readonly string[];
  /** Per visible chart: its label, its drawn size, and the marks it holds. */
  readonly charts: readonly { label: string; width: number; height: number; marks: number }[];
  /** Charts and tables that show the empty state instead. */
  readonly emptyBlocks: number;
  /** Widest element beyond the viewport (horizontal overflow of the page), in px; 0 when none. */
  readonly overflowPx: number;
}

/**
 * Runs in the page (as text: the project compiles without the DOM library): the visible charts with
 * their size and number of marks, the empty blocks, and any horizontal overflow.
 */
const PAGE_PROBE = `(() => {
  const charts = [...document.querySelectorAll('svg.chart-svg')]
    .map((svg) => {
      const box = svg.getBoundingClientRect();
      return {
        label: svg.getAttribute('aria-label') || '',
        width: Math.round(box.width),
        height: Math.round(box.height),
        marks: svg.querySelectorAll('.mark').length,
      };
    })
    .filter((chart) => chart.width > 0 || chart.height > 0);
  const overflowPx = Math.max(0, document.documentElement.scrollWidth - window.innerWidth);
  return { charts, emptyBlocks: document.querySelectorAll('.empty').length, overflowPx };
})()`;

/**
 * Opens the report file at a viewport, saves a full-page screenshot to each of `screenshots`, and
 * reports errors, requests and the charts that are visible at that width.
 */
export async function checkReportPage(
  browser: Browser,
  file: string,
  viewport: { width: number; height: number },
  screenshots: readonly string[],
): Promise<ReportPageCheck> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  try {
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await waitUntilDrawn(page);
    const found = (await page.evaluate(PAGE_PROBE)) as Omit<ReportPageCheck, 'errors' | 'requests'>;
    for (const path of screenshots) await page.screenshot({ path, fullPage: true });
    return { errors, requests, ...found };
  } finally {
    await page.close();
  }
}
