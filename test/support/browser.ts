import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { readLocaleResources, type Language } from '../../src/i18n';

/**
 * Helpers for driving the help-site widget (public/widget.js) and the stock Web Chat inside it in a real headless
 * Chromium. No browser is ever downloaded: the system's Chromium (Debian package `chromium`) is used, or the test
 * fails saying so.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, and it is not there. Install it (Debian/Ubuntu: apt-get install chromium) ` +
        'or point CHROMIUM_PATH at a Chromium binary. These tests never download a browser.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** What Web Chat and the widget use in the page. */
export const SELECTORS = {
  launcher: '.ssw-launcher',
  panel: '.ssw-panel',
  title: '.ssw-title',
  status: '.ssw-status',
  language: '.ssw-language',
  input: '.webchat__send-box-text-box__input',
  botBubble: '.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content',
  userBubble: '.webchat__bubble--from-user .webchat__bubble__content',
  suggestedAction: '.webchat__suggested-actions button',
  cardButton: '.ac-pushButton',
} as const;

/** One line of plain text: any run of white space (non-breaking too) is one space; typographic quotes are plain. */
export function normalise(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201A\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
}

const RESOURCES = readLocaleResources();

/** The raw text of a locale key (`namespace:dotted.key`), placeholders left in. */
export function localeText(language: Language, key: string): string {
  const [namespace, path] = key.split(':');
  let value: unknown = RESOURCES[language][namespace];
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  if (typeof value !== 'string') throw new Error(`locales/${language}/${namespace}.json has no text at "${path}"`);
  return value;
}

/** A pattern for a locale text as the bot says it: each {{placeholder}} matches anything, compared after normalise(). */
export function localePattern(language: Language, key: string): RegExp {
  const parts = normalise(localeText(language, key))
    .split(/\{\{[^}]+\}\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('[\\s\\S]+?'));
}

export async function botTexts(page: Page): Promise<string[]> {
  return (await page.$$eval(SELECTORS.botBubble, (elements) => elements.map((element) => element.textContent ?? ''))).map(normalise);
}

/** The conversation so far, for failure messages: "bot: …" / "user: …" in order. */
export async function transcript(page: Page): Promise<string> {
  const lines = await page
    .$$eval('.webchat__bubble', (bubbles) =>
      bubbles.map((bubble) => `${bubble.classList.contains('webchat__bubble--from-user') ? 'user' : 'bot '}: ${bubble.querySelector('.webchat__bubble__content')?.textContent ?? ''}`),
    )
    .catch(() => [] as string[]);
  return lines.length ? lines.map((line) => `    ${normalise(line)}`).join('\n') : '    (no messages)';
}

export interface WaitOptions {
  /** Only bot bubbles from this index on count (botTexts(page).length before the step that should cause them). */
  since?: number;
  timeoutMs?: number;
  /** What the wait is for, in words, for the failure message. */
  what?: string;
}

/**
 * Polls the bot's bubbles until one (from `since` on) matches one of the patterns; returns its index, text and which
 * pattern matched (the first bubble that matches any, in order of the conversation).
 */
export async function waitForBotMessage(page: Page, patterns: readonly RegExp[], options: WaitOptions = {}): Promise<{ index: number; text: string; match: number }> {
  const { since = 0, timeoutMs = 15_000, what = `a bot message matching one of ${patterns.join(', ')}` } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts = await botTexts(page);
    for (let index = since; index < texts.length; index++) {
      const match = patterns.findIndex((pattern) => pattern.test(texts[index]));
      if (match >= 0) return { index, text: texts[index], match };
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (from bot message #${since} on). The conversation:\n${await transcript(page)}`);
    }
    await page.waitForTimeout(100);
  }
}

/** Polls the bot's bubbles until one (from `since` on) matches; returns its index and text. */
export async function waitForBotText(page: Page, pattern: RegExp, options: WaitOptions = {}): Promise<{ index: number; text: string }> {
  const { index, text } = await waitForBotMessage(page, [pattern], { what: `a bot message matching ${pattern}`, ...options });
  return { index, text };
}

/** Types a message into Web Chat's send box and sends it with Enter. */
export async function say(page: Page, text: string): Promise<void> {
  const input = page.locator(SELECTORS.input);
  await input.fill(text, { timeout: 10_000 });
  await input.press('Enter', { timeout: 10_000 });
}

/** The newest button of a kind whose whole text is `title` (older cards keep their buttons in the transcript). */
export function newestButton(page: Page, selector: string, title: string): Locator {
  const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  return page.locator(selector).filter({ hasText: exact }).last();
}

export async function clickButton(page: Page, selector: string, title: string, what: string): Promise<void> {
  try {
    await newestButton(page, selector, title).click({ timeout: 10_000 });
  } catch (error) {
    throw new Error(`Could not click ${what} ("${title}", ${selector}): ${(error as Error).message.split('\n')[0]}\nThe conversation:\n${await transcript(page)}`);
  }
}

/** A page that embeds the widget, served from its own origin. */
export interface PageServer {
  server: Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

export async function startPageServer(html: () => string, host = '127.0.0.1'): Promise<PageServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The embedding page of README's "Talk to it": just the tag, English. */
export function embeddingPage(botUrl: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Another site</title></head><body><script src="${botUrl}/widget.js" data-locale="en" async></script></body></html>`;
}

/**
 * A fresh browser profile (its own cookies and sessionStorage), in Swedish, 1200×800, whose script errors are collected
 * for the test to assert none; the context is added to `contexts` for the test to close.
 */
export async function freshPage(browser: Promise<Browser>, contexts: BrowserContext[]): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await (await browser).newContext({ viewport: { width: 1200, height: 800 }, locale: 'sv-SE' });
  contexts.push(context);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  return { page, pageErrors };
}

/** After a browser test: every page's profile, then the browser (if it ever started), whatever failed before. */
export async function closeBrowser(browser: Promise<Browser> | undefined, contexts: BrowserContext[]): Promise<void> {
  for (const context of contexts) await context.close().catch(() => undefined);
  await (await browser?.catch(() => undefined))?.close();
}
