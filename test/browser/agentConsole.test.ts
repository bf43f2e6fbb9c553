import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { addAgent } from '../../src/tools/agentAdd';
import { CASE_REFERENCE } from '../../src/cases/caseReference';
import { LOCAL_CHANNEL_ID } from '../../src/channels/directLine/localDirectLine';
import { testConfig } from '../support/bot';
import { NOW } from '../support/facts';
import { SELECTORS, botTexts, freshPage, launchChromium, localePattern, localeText, normalise, say, transcript, waitForBotText, closeBrowser } from '../support/browser';

/**
 * The agent console in a real (headless) Chromium, next to a caller in the help site's Web Chat: the agent signs in by
 * typing into the sign-in form, the caller's request for a person appears in the open queue by itself (Server-Sent
 * Events), the agent takes it (the caller reads who joined), the caller's message appears on the agent's page without
 * a reload, the agent's reply reaches the caller's Web Chat, and after "hand back" the bot answers the caller again.
 * Screenshots go to test/artifacts/ (git-ignored) for a look by eye.
 */
const ARTIFACTS = resolve(__dirname, '../artifacts');
const PASSWORD = 'correct horse battery staple';
const CASE_REFERENCE_IN_TEXT = new RegExp(CASE_REFERENCE.source.replace(/^\^|\$$/g, ''));
const CALLER_MESSAGE = 'Hej, jag vill byta betalsätt';
const AGENT_REPLY = 'Hej! Det ordnar jag åt dig. Vilket betalsätt vill du byta till?';

/** Marks the document, so that a later check can tell the page was not loaded again in between. */
const MARK = '__consoleTestMark';

describe('the agent console in Chromium, with a caller in Web Chat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-browser-'));
  const accountsFile = join(dir, 'agents.json');
  let browser: Promise<Browser>;
  let app: App;
  let url: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    const config = testConfig({ verificationMinResponseMs: 0 });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, apiKeys: [] } }, silentLogger, { store: memoryStateStore(), now: () => NOW });
    url = (await app.listen()).url;
    browser = launchChromium();
    browser.catch(() => undefined); // reported by the test
  }, 60_000);

  afterAll(async () => {
    await closeBrowser(browser, contexts);
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** A fresh profile in Swedish (the console's language follows Accept-Language) whose script errors are collected. */
  const newPage = () => freshPage(browser, contexts);

  const screenshot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  /** What the console page shows, for failure messages. */
  async function consoleText(page: Page): Promise<string> {
    const text = await page
      .locator('main')
      .innerText({ timeout: 2_000 })
      .catch(() => '(no <main>)');
    return `    at ${page.url()}:\n${text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => `    | ${line}`)
      .join('\n')}`;
  }

  /** Waits for a locator in the console, failing with what the page shows instead. */
  async function waitInConsole(page: Page, locator: Locator, what: string, timeoutMs = 15_000): Promise<void> {
    await locator.first().waitFor({ state: 'visible', timeout: timeoutMs }).catch(async (error: Error) => {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} in the agent console. ${error.message.split('\n')[0]}\nThe page:\n${await consoleText(page)}`);
    });
  }

  async function clickInConsole(page: Page, locator: Locator, what: string): Promise<void> {
    await locator.click({ timeout: 10_000 }).catch(async (error: Error) => {
      throw new Error(`Could not click ${what} in the agent console: ${error.message.split('\n')[0]}\nThe page:\n${await consoleText(page)}`);
    });
  }

  async function markDocument(page: Page): Promise<void> {
    await page.evaluate((mark) => Object.assign(globalThis, { [mark]: true }), MARK);
  }

  async function stillSameDocument(page: Page): Promise<boolean> {
    return page.evaluate((mark) => (globalThis as Record<string, unknown>)[mark] === true, MARK);
  }

  /**
   * Starts listening for the page's live stream (/agent/events) to be answered, i.e. subscribed on the server; call it
   * before the step that loads the page, await what it returns after. Events published before that would be missed.
   */
  function liveStreamOpened(page: Page, what: string): () => Promise<void> {
    const answered = page.waitForResponse((response) => response.url() === `${url}/agent/events` && response.status() === 200, { timeout: 20_000 });
    answered.catch(() => undefined);
    return () =>
      answered.then(
        () => undefined,
        async (error: Error) => {
          throw new Error(`The ${what} never opened its live stream (/agent/events answered 200): ${error.message.split('\n')[0]}\nThe page:\n${await consoleText(page)}`);
        },
      );
  }

  it('an agent signs in, sees the caller arrive live, takes over, talks with them in Web Chat and hands back', async () => {
    const agent = await newPage();
    const caller = await newPage();
    const { page: console_ } = agent;
    const { page: chat } = caller;

    // --- The agent: /agent without a session goes to the sign-in page, where she types her id and password. ---------
    await console_.goto(`${url}/agent`, { timeout: 15_000 });
    expect(new URL(console_.url()).pathname, 'the console without a session redirects to the sign-in page').toBe('/agent/login');
    expect(normalise((await console_.locator('h1').textContent()) ?? '')).toBe(localeText('sv', 'console:login.heading'));
    await console_.getByLabel(localeText('sv', 'console:login.id'), { exact: true }).fill('maja', { timeout: 5_000 });
    await console_.getByLabel(localeText('sv', 'console:login.password'), { exact: true }).fill(PASSWORD, { timeout: 5_000 });
    const queueLive = liveStreamOpened(console_, 'queue page');
    await console_.getByRole('button', { name: localeText('sv', 'console:login.submit'), exact: true }).click({ timeout: 5_000 });
    await console_.waitForURL(`${url}/agent`, { timeout: 15_000 }).catch(async (error: Error) => {
      throw new Error(`Signing in as maja did not lead to the queue: ${error.message.split('\n')[0]}\nThe page:\n${await consoleText(console_)}`);
    });
    await queueLive();
    expect(normalise((await console_.locator('header .who').textContent()) ?? '')).toBe(localeText('sv', 'console:signedInAs').replace('{{name}}', 'Maja'));
    expect(await console_.locator('table.waiting tbody tr').count(), 'nobody waits before the caller asks').toBe(0);
    await markDocument(console_);

    // --- The caller: the demo page, the launcher, the Swedish Web Chat; asks for a person. ---------------------------
    await chat.goto(`${url}/`, { timeout: 15_000 });
    await chat.locator(SELECTORS.launcher).click({ timeout: 10_000 });
    await chat.locator(SELECTORS.input).waitFor({ state: 'visible', timeout: 20_000 }).catch(async (error: Error) => {
      const status = await chat.locator(SELECTORS.status).textContent().catch(() => '');
      throw new Error(`Web Chat's send box did not appear within 20 s; the widget says "${normalise(status ?? '')}". ${error.message.split('\n')[0]}`);
    });
    await waitForBotText(chat, localePattern('sv', 'main:greeting'), { what: 'the Swedish greeting', timeoutMs: 20_000 });
    let since = (await botTexts(chat)).length;
    await say(chat, 'Jag vill prata med en person');
    const receiptPattern = new RegExp(`${localePattern('sv', 'action:receipt.handoffTitle').source}[\\s\\S]*${CASE_REFERENCE_IN_TEXT.source}`);
    const receipt = await waitForBotText(chat, receiptPattern, { since, what: 'the hand-off receipt with a case reference' });
    const reference = receipt.text.match(CASE_REFERENCE_IN_TEXT)?.[0] as string;
    await waitForBotText(chat, localePattern('sv', 'handoff:placeInLine'), { since: receipt.index + 1, what: 'the caller\'s place in the queue' });
    expect((await botTexts(chat)).slice(receipt.index + 1)).toContain(normalise(localeText('sv', 'handoff:placeInLine').replace('{{place}}', '1')));

    // --- The agent: the hand-off appears in the open queue by itself. ------------------------------------------------
    const row = console_.locator('table.waiting tbody tr').filter({ has: console_.locator(`a[href="/agent/handoffs/${reference}"]`) });
    await waitInConsole(console_, row, `the waiting hand-off ${reference} to appear in the queue without a reload`);
    expect(await stillSameDocument(console_), 'the queue updated in place (Server-Sent Events), without loading the page again').toBe(true);
    const cells = (await row.locator('td').allInnerTexts()).map(normalise);
    expect(cells.slice(0, 5)).toEqual([
      reference,
      localeText('sv', 'console:reason.caller-asked'),
      localeText('sv', 'console:language.sv'),
      // The widget's Web Chat talks to the bot's own local Direct Line here (no DIRECTLINE_SECRET).
      LOCAL_CHANNEL_ID,
      localeText('sv', 'console:queue.place').replace('{{place}}', '1'),
    ]);
    await screenshot(console_, 'console-queue.png');

    // --- The agent opens it and takes it: the caller is told who joined. ---------------------------------------------
    const waitingLive = liveStreamOpened(console_, 'conversation page (before taking the hand-off)');
    await clickInConsole(console_, row.locator('a'), `the link to ${reference}`);
    await console_.waitForURL(`${url}/agent/handoffs/${reference}`, { timeout: 10_000 });
    await waitingLive();
    const take = console_.getByRole('button', { name: localeText('sv', 'console:handoff.take'), exact: true });
    await waitInConsole(console_, take, `"${localeText('sv', 'console:handoff.take')}"`);
    expect(await console_.locator('.talk .transcript').first().innerText(), 'the transcript so far').toContain('Jag vill prata med en person');
    since = (await botTexts(chat)).length;
    const conversationLive = liveStreamOpened(console_, 'conversation page (after taking the hand-off)');
    await clickInConsole(console_, take, `"${localeText('sv', 'console:handoff.take')}"`);
    const textarea = console_.locator('form.reply textarea');
    await waitInConsole(console_, textarea, 'the reply form once the hand-off is taken');
    await conversationLive();
    expect(normalise((await console_.locator('.status').textContent()) ?? '')).toBe(localeText('sv', 'console:status.active').replace('{{name}}', 'Maja'));
    const joined = normalise(localeText('sv', 'handoff:agentJoined').replace('{{name}}', 'Maja'));
    expect(joined).toBe('Du pratar nu med Maja från supporten.');
    await waitForBotText(chat, new RegExp(`^${joined.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), { since, what: 'the caller being told that Maja joined' });
    await console_.waitForLoadState('load');
    await markDocument(console_);

    // --- The caller writes: the agent's page shows it live; the bot says nothing. --------------------------------
    since = (await botTexts(chat)).length;
    await say(chat, CALLER_MESSAGE);
    const callerLine = console_.locator('#live li.caller').filter({ hasText: CALLER_MESSAGE });
    await waitInConsole(console_, callerLine, `the caller's "${CALLER_MESSAGE}" in the live conversation (#live) without a reload`);
    expect(await stillSameDocument(console_), 'the message was added in place (Server-Sent Events), without loading the page again').toBe(true);
    expect(normalise(await callerLine.first().innerText())).toBe(`${localeText('sv', 'console:from.caller')} ${CALLER_MESSAGE}`);

    // --- The agent replies in the textarea: the caller reads it in Web Chat. ------------------------------------------
    await textarea.fill(AGENT_REPLY, { timeout: 5_000 });
    await clickInConsole(console_, console_.locator('form.reply').getByRole('button', { name: localeText('sv', 'console:handoff.send'), exact: true }), `"${localeText('sv', 'console:handoff.send')}"`);
    const reply = await waitForBotText(chat, new RegExp(AGENT_REPLY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), { since, what: 'Maja\'s reply in the caller\'s Web Chat' });
    expect((await botTexts(chat)).slice(since, reply.index), 'the bot stayed silent while the caller talked with Maja').toEqual([]);
    const agentLine = console_.locator('#live li.agent').filter({ hasText: AGENT_REPLY });
    await waitInConsole(console_, agentLine, 'Maja\'s own reply in the live conversation');
    await console_.locator('#live li').last().scrollIntoViewIfNeeded({ timeout: 5_000 });
    await screenshot(console_, 'console-conversation.png');

    // --- Hand back: the caller is told, and the bot answers again. -------------------------------------------------
    since = (await botTexts(chat)).length;
    await clickInConsole(console_, console_.getByRole('button', { name: localeText('sv', 'console:handoff.handBack'), exact: true }), `"${localeText('sv', 'console:handoff.handBack')}"`);
    const handedBackAt = await waitForBotText(chat, localePattern('sv', 'handoff:handedBack'), { since, what: 'the caller being told Maja handed them back to the assistant' });
    // The caller's side of the talk with Maja, from "Du pratar nu med Maja" to the hand-back at the bottom.
    await chat.locator(SELECTORS.botBubble).nth(handedBackAt.index).evaluate((bubble) => bubble.scrollIntoView({ block: 'end' }), undefined, { timeout: 5_000 });
    await screenshot(chat, 'console-caller-webchat.png');
    const handedBack = localeText('sv', 'console:status.handed-back').replace('{{name}}', 'Maja');
    await waitInConsole(console_, console_.locator('.status').filter({ hasText: handedBack }), `the status "${handedBack}"`);
    expect(await console_.locator('form.reply').count(), 'no reply form once handed back').toBe(0);

    since = (await botTexts(chat)).length;
    await say(chat, 'Vad händer med våra data om vi säger upp?');
    const answer = await waitForBotText(chat, /\S/, { since, what: 'the bot answering again after the hand-back' });
    expect(answer.text, 'the answer is the bot\'s, not an echo of the agent').not.toBe(normalise(AGENT_REPLY));

    // Each of Maja's actions is in the audit under her name.
    const audit = await app.runtime.cases.auditFor(reference);
    expect(audit.filter((record) => record.caller === 'agent:maja').map((record) => record.action)).toEqual(['handoff:taken', 'handoff:replied', 'handoff:handed-back']);

    expect(agent.pageErrors, 'script errors in the agent console').toEqual([]);
    expect(caller.pageErrors, `script errors in the caller's page. The conversation:\n${await transcript(chat)}`).toEqual([]);
  }, 90_000);
});
