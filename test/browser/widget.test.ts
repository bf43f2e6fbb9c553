import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Request, Response } from 'restify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { CASE_REFERENCE } from '../../src/cases/caseReference';
import { testConfig } from '../support/bot';
import { NOW } from '../support/facts';
import { DEMO_CALLERS } from '../support/demoCallers';
import {
  SELECTORS,
  botTexts,
  clickButton,
  embeddingPage,
  freshPage,
  launchChromium,
  localePattern,
  localeText,
  normalise,
  say,
  startPageServer,
  transcript,
  waitForBotMessage,
  waitForBotText,
  type PageServer, closeBrowser } from '../support/browser';

/**
 * The help-site widget in a real (headless) Chromium: the demo page's launcher opens the panel and the stock Web Chat,
 * a caller verifies and cancels at the end of the term by typing and clicking, switches to English with the picker,
 * and the widget on another site connects only where WIDGET_ALLOWED_ORIGINS allows it. Screenshots go to
 * test/artifacts/ (git-ignored) for a look by eye.
 */
const ARTIFACTS = resolve(__dirname, '../artifacts');
const TOKEN_PATH = '/api/directline/token';
const anna = DEMO_CALLERS.anna;
const CASE_REFERENCE_IN_TEXT = new RegExp(CASE_REFERENCE.source.replace(/^\^|\$$/g, ''));

interface ServedRequest {
  method: string;
  path: string;
  status: number;
  origin: string | undefined;
}

describe('the help-site widget in Chromium', () => {
  /** Launched once; a missing Chromium fails every browser test with the reason (it is never skipped). */
  let browser: Promise<Browser>;
  let app: App;
  let botUrl: string;
  /** A site on the allow-list (WIDGET_ALLOWED_ORIGINS), and one that is not. */
  let allowedSite: PageServer;
  let strangerSite: PageServer;
  const contexts: BrowserContext[] = [];
  /** Every request the bot answered, as the bot saw it (a refused CORS preflight never reaches the page's scripts). */
  const served: ServedRequest[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The pages need the bot's URL and the bot needs the allowed page's origin: the pages read botUrl when served.
    allowedSite = await startPageServer(() => embeddingPage(botUrl));
    strangerSite = await startPageServer(() => embeddingPage(botUrl));
    const defaults = testConfig();
    app = await createApp(
      testConfig({ verificationMinResponseMs: 0, webChat: { ...defaults.webChat, allowedOrigins: [allowedSite.origin] } }),
      silentLogger,
      { store: memoryStateStore(), now: () => NOW },
    );
    app.server.on('after', (req: Request, res: Response) => {
      served.push({ method: req.method ?? '', path: req.path(), status: res.statusCode, origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined });
    });
    botUrl = (await app.listen()).url;
    browser = launchChromium();
    browser.catch(() => undefined); // reported by each test that needs it
  }, 60_000);

  afterAll(async () => {
    await closeBrowser(browser, contexts);
    await app?.close();
    await allowedSite?.close();
    await strangerSite?.close();
  }, 30_000);

  /** A fresh profile in Swedish (the console's language follows Accept-Language) whose script errors are collected. */
  const newPage = () => freshPage(browser, contexts);

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, name) });
  }

  async function openPanel(page: Page): Promise<void> {
    await page.locator(SELECTORS.launcher).click({ timeout: 10_000 }).catch((error: Error) => {
      throw new Error(`The widget's launcher (${SELECTORS.launcher}) never appeared or could not be clicked: ${error.message.split('\n')[0]}`);
    });
    await expect(page.locator(SELECTORS.panel).isVisible(), 'the panel opens when the launcher is clicked').resolves.toBe(true);
  }

  async function waitForChat(page: Page): Promise<void> {
    await page.locator(SELECTORS.input).waitFor({ state: 'visible', timeout: 20_000 }).catch(async (error: Error) => {
      const status = await page.locator(SELECTORS.status).textContent().catch(() => '');
      throw new Error(`Web Chat's send box (${SELECTORS.input}) did not appear within 20 s; the widget's status says "${normalise(status ?? '')}". ${error.message.split('\n')[0]}`);
    });
  }

  // --- The demo page, in Swedish ------------------------------------------------------------------------------------
  let demo: { page: Page; pageErrors: string[] } | undefined;

  it('on the demo page a caller verifies and cancels at the end of the term, typing and clicking in Swedish', async () => {
    demo = await newPage();
    const { page, pageErrors } = demo;
    await page.goto(`${botUrl}/`, { timeout: 15_000 });
    await openPanel(page);
    await waitForChat(page);
    await waitForBotText(page, localePattern('sv', 'main:greeting'), { what: 'the Swedish greeting' });
    expect(normalise((await page.locator(SELECTORS.title).textContent()) ?? '')).toBe(localeText('sv', 'widget:title'));
    await screenshot(page, 'widget-sv-open.png');

    let since = (await botTexts(page)).length;
    await say(page, 'Jag vill säga upp min prenumeration');

    // Whatever the bot asks next is answered from this table, so a say-back or another order does not break the test;
    // the list of what was asked is checked at the end.
    const yes = localeText('sv', 'common:yes');
    const endOfTerm = localeText('sv', 'cancel:options.endOfTerm.title');
    const steps: Array<{ name: string; asks: RegExp; answer: () => Promise<void> }> = [
      { name: 'userId', asks: localePattern('sv', 'verify:ask.userId'), answer: () => say(page, anna.userId) },
      { name: 'phone', asks: localePattern('sv', 'verify:ask.phone'), answer: () => say(page, anna.phone) },
      { name: 'contactName', asks: localePattern('sv', 'verify:ask.contactName'), answer: () => say(page, anna.contactName) },
      { name: 'organisationName', asks: localePattern('sv', 'verify:ask.organisationName'), answer: () => say(page, anna.organisationName) },
      { name: 'postalAddress', asks: localePattern('sv', 'verify:ask.postalAddress'), answer: () => say(page, anna.postalAddress) },
      { name: 'sayBack', asks: localePattern('sv', 'verify:sayBack'), answer: () => clickButton(page, SELECTORS.suggestedAction, yes, 'the say-back confirmation') },
      { name: 'admin', asks: localePattern('sv', 'verify:ask.admin'), answer: () => clickButton(page, SELECTORS.suggestedAction, yes, 'the administrator question') },
      { name: 'timing', asks: localePattern('sv', 'cancel:howToCancel'), answer: () => clickButton(page, SELECTORS.cardButton, endOfTerm, 'the end-of-term option of the timing card') },
      { name: 'confirm', asks: localePattern('sv', 'cancel:confirmEndOfTerm'), answer: () => clickButton(page, SELECTORS.suggestedAction, yes, 'the confirmation') },
    ];
    const failures = ['verify:rejected_other', 'verify:rejected_one', 'verify:locked', 'verify:gaveUp', 'action:unavailable'].map((key) => localePattern('sv', key));
    const receipt = new RegExp(`${localePattern('sv', 'action:receipt.title').source}[\\s\\S]*${CASE_REFERENCE_IN_TEXT.source}`);
    const asked: string[] = [];
    let receiptAt: { index: number; text: string } | undefined;
    for (let turn = 0; turn < 15 && !receiptAt; turn++) {
      const next = await waitForBotMessage(page, [receipt, ...failures, ...steps.map((step) => step.asks)], {
        since,
        what: `the bot's next question or the receipt (answered so far: ${asked.join(', ') || 'nothing'})`,
      });
      if (next.match === 0) receiptAt = next;
      else if (next.match <= failures.length) throw new Error(`The bot refused the demo caller: "${next.text}". The conversation:\n${await transcript(page)}`);
      else {
        const step = steps[next.match - 1 - failures.length];
        asked.push(step.name);
        since = next.index + 1;
        await step.answer();
      }
    }
    if (!receiptAt) throw new Error(`No receipt after 15 answers (${asked.join(', ')}). The conversation:\n${await transcript(page)}`);
    expect(asked.filter((name) => name !== 'sayBack')).toEqual(['userId', 'phone', 'contactName', 'organisationName', 'postalAddress', 'admin', 'timing', 'confirm']);

    // The receipt: a case reference, and what happens now (the service runs to the end of the term).
    const reference = receiptAt.text.match(CASE_REFERENCE_IN_TEXT)?.[0] as string;
    expect(receiptAt.text).toContain(localeText('sv', 'action:receipt.reference'));
    expect(receiptAt.text).toMatch(localePattern('sv', 'action:receipt.turn-off-auto-renew'));
    const said = await botTexts(page);
    expect(said, 'the click on the card is echoed').toContain(normalise(localeText('sv', 'common:youChose').replace('{{choice}}', endOfTerm)));
    expect(said.some((text) => localePattern('sv', 'cancel:endOfTermSummary').test(text)), 'the bot explains what the end of the term means').toBe(true);
    const supportCase = await app.runtime.cases.findCase(reference);
    expect(supportCase).toMatchObject({ reference, action: 'turn-off-auto-renew', status: 'done' });

    // Then the caller is asked why they leave (left unanswered here; the English test below answers it).
    await waitForBotText(page, localePattern('sv', 'feedback:ask'), { since: receiptAt.index + 1, what: 'the feedback question after the receipt' });
    await page.locator(SELECTORS.botBubble).nth(receiptAt.index).scrollIntoViewIfNeeded({ timeout: 5_000 });
    await screenshot(page, 'widget-sv-receipt.png');
    expect(pageErrors, 'script errors on the demo page').toEqual([]);
  }, 60_000);

  /** How often the bot said "You chose: Skip." for one click, for the test below. */
  let skipEchoes: number | undefined;

  it('the language picker switches the panel and the conversation to English', async () => {
    if (!demo) throw new Error('This test goes on with the conversation of the previous one, which did not start.');
    const { page, pageErrors } = demo;
    const since = (await botTexts(page)).length;
    await page.selectOption(SELECTORS.language, 'en', { timeout: 5_000 });

    await waitForBotText(page, localePattern('en', 'interruptions:languageSwitched'), { since, what: 'the English "continue in English" after the switch' });
    // The open question (why the caller leaves) is asked again, now in English, and answered with a click.
    const asked = await waitForBotText(page, localePattern('en', 'feedback:ask'), { since, what: 'the feedback question again, in English' });
    expect(normalise((await page.locator(SELECTORS.title).textContent()) ?? '')).toBe(localeText('en', 'widget:title'));
    expect(await page.locator(SELECTORS.panel).getAttribute('lang')).toBe('en');
    expect(await page.locator(SELECTORS.launcher).getAttribute('aria-label')).toBe(localeText('en', 'widget:launcher'));
    expect(await page.locator(SELECTORS.language).inputValue()).toBe('en');

    await clickButton(page, SELECTORS.cardButton, localeText('en', 'feedback:reasons.skip.title'), 'the English "Skip" on the feedback card');
    await waitForBotText(page, localePattern('en', 'feedback:skipped'), { since: asked.index + 1, what: 'the English answer to "Skip"' });
    const english = (await botTexts(page)).slice(since);
    const skip = localeText('en', 'feedback:reasons.skip.title');
    skipEchoes = english.filter((text) => text === normalise(localeText('en', 'common:youChose').replace('{{choice}}', skip))).length;
    expect(skipEchoes, 'the click on "Skip" is echoed').toBeGreaterThan(0);
    expect(english.join('\n'), 'nothing Swedish after the switch').not.toMatch(/[åäöÅÄÖ]/);
    await screenshot(page, 'widget-en.png');
    expect(pageErrors, 'script errors on the demo page').toEqual([]);
  }, 60_000);

  // The feedback question runs inside the cancellation (both are InterruptibleDialogs): the click is still said once.
  it('one click on the feedback card is echoed once', () => {
    expect(skipEchoes).toBe(1);
  });

  // --- The widget on other sites --------------------------------------------------------------------------------------
  it('on a site in the allowed origins the widget connects and greets in the page\'s language (English)', async () => {
    const { page, pageErrors } = await newPage();
    const tokenAnswers: Array<{ status: number; allowOrigin: string | null }> = [];
    page.on('response', (response) => {
      if (response.url() === `${botUrl}${TOKEN_PATH}` && response.request().method() === 'POST') {
        tokenAnswers.push({ status: response.status(), allowOrigin: response.headers()['access-control-allow-origin'] ?? null });
      }
    });
    await page.goto(`${allowedSite.origin}/`, { timeout: 15_000 });
    await openPanel(page);
    expect(normalise((await page.locator(SELECTORS.title).textContent()) ?? '')).toBe(localeText('en', 'widget:title'));
    await waitForChat(page);
    await waitForBotText(page, localePattern('en', 'main:greeting'), { what: 'the English greeting on the allowed site' });
    expect(tokenAnswers).toEqual([{ status: 200, allowOrigin: allowedSite.origin }]);
    await screenshot(page, 'widget-cross-origin-allowed.png');
    expect(pageErrors, 'script errors on the allowed site').toEqual([]);
  }, 60_000);

  /** What the refused site saw, for the test after this one. */
  let refused: { message: string; buttons: string[]; tokenStatuses: number[]; tokenFailures: string[] } | undefined;

  it('on a site not in the allowed origins the bot refuses the token (403) and no conversation starts', async () => {
    const { page, pageErrors } = await newPage();
    const tokenStatuses: number[] = [];
    const tokenFailures: string[] = [];
    page.on('response', (response) => {
      if (response.url() === `${botUrl}${TOKEN_PATH}`) tokenStatuses.push(response.status());
    });
    page.on('requestfailed', (request) => {
      if (request.url() === `${botUrl}${TOKEN_PATH}`) tokenFailures.push(request.failure()?.errorText ?? 'failed');
    });
    const before = served.length;
    await page.goto(`${strangerSite.origin}/`, { timeout: 15_000 });
    await openPanel(page);

    // The widget settles on a message in place of the chat (anything but "Connecting …").
    const connecting = localeText('en', 'widget:connecting');
    const status = page.locator(SELECTORS.status);
    const deadline = Date.now() + 20_000;
    while (!((await status.isVisible()) && !normalise((await status.textContent()) ?? '').includes(connecting))) {
      if (Date.now() > deadline) {
        throw new Error(`The refused widget never showed anything but "${connecting}" within 20 s: status "${normalise((await status.textContent()) ?? '')}", visible: ${await status.isVisible()}.`);
      }
      await page.waitForTimeout(100);
    }
    const message = normalise((await page.locator(`${SELECTORS.status} p`).textContent()) ?? '');
    const buttons = (await page.locator(`${SELECTORS.status} button`).allTextContents()).map(normalise);
    refused = { message, buttons, tokenStatuses, tokenFailures };
    await screenshot(page, 'widget-cross-origin-refused.png');

    // The bot answered this origin's token request (the browser's preflight) with 403 and nothing else.
    const fromStranger = served.slice(before).filter((request) => request.origin === strangerSite.origin);
    const tokenRequests = fromStranger.filter((request) => request.path === TOKEN_PATH);
    expect(tokenRequests.length, 'the token request (or its preflight) reached the bot').toBeGreaterThan(0);
    expect(tokenRequests.map((request) => `${request.method} ${request.status}`), 'every token request from the refused origin was answered 403').toEqual(tokenRequests.map((request) => `${request.method} 403`));
    expect(fromStranger.filter((request) => request.path.startsWith('/v3/directline')), 'no Direct Line conversation for a refused origin').toEqual([]);
    // In the page: the token request was refused (a readable 403, or a failed request when the preflight was refused),
    // no Web Chat, no messages.
    expect(tokenStatuses.includes(403) || tokenFailures.length > 0, `the page saw the token request refused (answers ${JSON.stringify(tokenStatuses)}, failures ${JSON.stringify(tokenFailures)})`).toBe(true);
    expect(tokenStatuses).not.toContain(200);
    expect(await page.locator(SELECTORS.input).count(), 'no Web Chat send box on a refused site').toBe(0);
    expect(await page.locator('.webchat__bubble').count()).toBe(0);
    expect(pageErrors, 'script errors on the refused site').toEqual([]);
  }, 60_000);

  // The token request is a plain POST (no preflight) and the refusal carries the page's origin, so the widget can read
  // the 403 and say the chat cannot be shown here, instead of offering a "Try again" that cannot help.
  it('on a refused site the widget says the chat cannot be shown here, having read the 403', () => {
    expect(refused, 'the previous test recorded what the refused site saw').toBeDefined();
    expect(refused?.message).toBe(localeText('en', 'widget:notAllowed'));
    expect(refused?.buttons, 'no "Try again" where trying again cannot help').toEqual([]);
    expect(refused?.tokenStatuses, 'the page could read the 403').toContain(403);
  });
});
