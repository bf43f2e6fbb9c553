import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { addAgent } from '../../src/tools/agentAdd';
import { fillDemoData } from '../../src/tools/demoData';
import { testConfig } from '../support/bot';
import { NOW } from '../support/facts';
import { freshPage, launchChromium, localeText, normalise, closeBrowser } from '../support/browser';

/**
 * The insights page in a real (headless) Chromium: the demo data written as `npm start` writes it on a demo's first
 * start, an agent signs in by typing, opens the page from the console's header, and every chart is drawn by Chart.js
 * (its canvas has pixels on it) under the page's strict CSP, in Swedish and in English; the filter form narrows it to
 * one language. Screenshots go to test/artifacts/ (git-ignored) for a look by eye.
 */
const ARTIFACTS = resolve(__dirname, '../artifacts');
const PASSWORD = 'correct horse battery staple';
const CHARTS = ['perDay', 'containment', 'handoffs', 'verification', 'funnel', 'actions', 'refusals', 'feedback', 'languages'];

describe('the insights page in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'insights-browser-'));
  const accountsFile = join(dir, 'agents.json');
  const path = join(dir, 'bot.sqlite');
  let browser: Promise<Browser>;
  let app: App;
  let url: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    const config = testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path });
    // What `npm start` does first on a demo: five weeks of made-up conversations into the empty events table.
    expect(await fillDemoData({ config, ifEmpty: true })).toMatchObject({ filled: true, removed: 0 });
    expect(await fillDemoData({ config, ifEmpty: true })).toEqual({ filled: false, why: 'not-empty' });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, apiKeys: [] } }, silentLogger, { now: () => NOW });
    url = (await app.listen()).url;
    browser = launchChromium();
    browser.catch(() => undefined); // reported by the test
  }, 60_000);

  afterAll(async () => {
    await closeBrowser(browser, contexts);
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** What the page shows, for failure messages. */
  async function pageText(page: Page): Promise<string> {
    const text = await page.locator('main').innerText({ timeout: 2_000 }).catch(() => '(no <main>)');
    return `    at ${page.url()}:\n${text.split('\n').map((line) => line.trim()).filter(Boolean).slice(0, 40).map((line) => `    | ${line}`).join('\n')}`;
  }

  /** Every chart drawn (insights.js marks each canvas), and how many of its pixels are not blank. */
  async function drawnCharts(page: Page): Promise<Record<string, number>> {
    await page.locator('canvas[data-drawn="true"]').nth(CHARTS.length - 1).waitFor({ state: 'attached', timeout: 15_000 }).catch(async (error: Error) => {
      throw new Error(`The charts were not all drawn: ${error.message.split('\n')[0]}\nThe page:\n${await pageText(page)}`);
    });
    expect(await page.locator('canvas').count()).toBe(CHARTS.length);
    const counts = await page.$$eval('canvas', (canvases) =>
      canvases.map((element) => {
        const canvas = element as unknown as { id: string; width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) inked++;
        return [canvas.id.replace(/^chart-/, ''), inked] as const;
      }),
    );
    return Object.fromEntries(counts);
  }

  it('an agent signs in, opens the insights from the header, and every chart is drawn, in Swedish and in English', async () => {
    const { page, pageErrors } = await freshPage(browser, contexts);
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      // The browser's own look for /favicon.ico (the console has none) is no error of the page's.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) consoleErrors.push(`${message.text()} ${message.location().url}`);
    });

    await page.goto(`${url}/agent/insights`, { timeout: 15_000 });
    expect(new URL(page.url()).pathname, 'the insights without a session redirect to the sign-in page').toBe('/agent/login');
    await page.getByLabel(localeText('sv', 'console:login.id'), { exact: true }).fill('maja', { timeout: 5_000 });
    await page.getByLabel(localeText('sv', 'console:login.password'), { exact: true }).fill(PASSWORD, { timeout: 5_000 });
    await page.getByRole('button', { name: localeText('sv', 'console:login.submit'), exact: true }).click({ timeout: 5_000 });
    await page.waitForURL(`${url}/agent`, { timeout: 15_000 });

    // The header's link, next to the console's others.
    await page.locator('header').getByRole('link', { name: localeText('sv', 'insights:nav'), exact: true }).click({ timeout: 5_000 });
    await page.waitForURL(`${url}/agent/insights`, { timeout: 15_000 });
    expect(normalise((await page.locator('h1').textContent()) ?? '')).toBe(localeText('sv', 'insights:title'));
    const swedish = await drawnCharts(page);
    for (const chart of CHARTS) expect(swedish[chart], `the ${chart} chart has something drawn on it`).toBeGreaterThan(500);
    // Every chart is a table too, for a screen reader (visually hidden, but in the page's accessibility tree).
    expect(await page.getByRole('table').count()).toBe(12);
    expect(await page.getByRole('img', { name: new RegExp(`^${localeText('sv', 'insights:perDay.title')}\\.`) }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'insights-sv.png'), fullPage: true });

    await page.goto(`${url}/agent/insights?lang=en`, { timeout: 15_000 });
    expect(normalise((await page.locator('h1').textContent()) ?? '')).toBe(localeText('en', 'insights:title'));
    const english = await drawnCharts(page);
    for (const chart of CHARTS) expect(english[chart], `the ${chart} chart has something drawn on it`).toBeGreaterThan(500);
    await page.screenshot({ path: join(ARTIFACTS, 'insights-en.png'), fullPage: true });

    // The filter: English conversations only, by the form (its language choice is kept in the address).
    const before = JSON.parse((await page.locator('#insights-charts').textContent()) ?? '{}') as Record<string, { datasets: Array<{ data: number[] }> }>;
    await page.locator('form.insights-filter select[name="language"]').selectOption('en');
    await page.getByRole('button', { name: localeText('en', 'insights:filter.show'), exact: true }).click({ timeout: 5_000 });
    await page.waitForURL(/language=en/, { timeout: 15_000 });
    await drawnCharts(page);
    const after = JSON.parse((await page.locator('#insights-charts').textContent()) ?? '{}') as typeof before;
    const sum = (spec: { datasets: Array<{ data: number[] }> }) => spec.datasets[0].data.reduce((a, b) => a + b, 0);
    expect(sum(after.perDay)).toBeGreaterThan(0);
    expect(sum(after.perDay)).toBeLessThan(sum(before.perDay));
    expect(after.languages.datasets[0].data[0], 'no Swedish conversations under "English"').toBe(0);

    expect(pageErrors).toEqual([]);
    expect(consoleErrors, 'nothing refused by the page\'s Content-Security-Policy, no script errors').toEqual([]);
  }, 90_000);
});
