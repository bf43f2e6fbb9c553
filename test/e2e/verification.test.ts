import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { answersOf, DEMO_CALLERS, type DemoCallerName } from '../support/demoCallers';
import { NOW } from '../support/facts';

/** One caller message over real HTTP; the server must take it (200). */
async function postMessage(base: string, connectorUrl: string, conversationId: string, locale: string, text: string) {
  const res = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(inbound(connectorUrl, conversationId, { type: 'message', text, locale })),
  });
  expect(res.status).toBe(200);
}

/** Every demo account verifies over real HTTP, in both languages, with replies collected at a stub connector. */
describe('verification over HTTP', () => {
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
  });

  const say = (conversationId: string, locale: string, text: string) => postMessage(base, connector.url, conversationId, locale, text);

  const cases = (Object.keys(DEMO_CALLERS) as DemoCallerName[]).flatMap((name) => [
    [name, 'sv-SE', 'Säg upp prenumerationen', 'ja', name === 'sara' ? 'Tack, nu är du verifierad för' : 'Nu är du verifierad som administratör för'],
    [name, 'en-US', 'Cancel subscription', 'yes', name === 'sara' ? "Thank you, you're verified for" : "You're now verified as an administrator of"],
  ] as const);

  it.each(cases)('%s verifies in %s', async (name, locale, choice, yes, verified) => {
    const conversationId = `verify-${name}-${locale}`;
    const caller = DEMO_CALLERS[name];
    for (const text of ['hej', choice, ...answersOf(caller), yes]) await say(conversationId, locale, text);
    const said = connector.textsFor(conversationId);
    expect(said.find((line) => line.startsWith(verified))).toContain(caller.organisationName);
  });
});

/**
 * The words that would tell a caller which answer was wrong (ID-1): the five items, as the locale files name them
 * (verify:ask, verify:retry, verify:help) and as people say them. A stem matches inside longer words ("telefonnummer").
 */
const FIELD_WORDS = {
  en: [/user\s*-?\s*id/iu, /user\s*name/iu, /e-?\s*mail/iu, /phone/iu, /mobile/iu, /contact/iu, /(?<!\p{L})name/iu, /organi[sz]ation/iu, /company/iu, /address/iu, /street/iu, /post(?:al)?\s*code/iu, /postal/iu, /(?<!\p{L})town(?!\p{L})/iu, /(?<!\p{L})city(?!\p{L})/iu],
  sv: [/användar/iu, /e-?\s*post/iu, /telefon/iu, /mobil/iu, /(?<!\p{L})nummer/iu, /kontakt/iu, /namn/iu, /organisation/iu, /företag/iu, /adress/iu, /gata|gatu/iu, /postnummer/iu, /(?<!\p{L})ort(?:en)?(?!\p{L})/iu],
} as const;

describe('a rejection over HTTP names no field and repeats no answer (ID-1)', () => {
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
  });

  afterAll(async () => {
    await connector.close();
  });

  // A fresh app (and attempt ledger) for each case: every rejection is the caller's first, so none is a lockout.
  beforeEach(async () => {
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    base = (await app.listen()).url;
  });

  afterEach(async () => {
    await app.close();
  });

  const say = (conversationId: string, locale: string, text: string) => postMessage(base, connector.url, conversationId, locale, text);

  const lena = DEMO_CALLERS.lena;
  const wrongAnswers = {
    userId: 'lena.ek@havsbris.com',
    phone: '070-000 00 00',
    contactName: 'Lena Ekström',
    organisationName: 'Havsbris Konsult AB',
    postalAddress: 'Strandvägen 7, 451 30 Uddevalla',
  };
  const languages = [
    { language: 'en', locale: 'en-US', choice: 'Cancel subscription', yes: 'yes' },
    { language: 'sv', locale: 'sv-SE', choice: 'Säg upp prenumerationen', yes: 'ja' },
  ] as const;
  const cases = languages.flatMap((l) => (Object.keys(wrongAnswers) as Array<keyof typeof wrongAnswers>).map((field) => ({ ...l, field })));

  it.each(cases)('in $language, a wrong $field is rejected without naming the field', async ({ language, locale, choice, yes, field }) => {
    const t = i18n.getFixedT(language);
    const conversationId = `verify-wrong-${field}-${locale}`;
    const given = { ...lena, [field]: wrongAnswers[field] };
    for (const text of ['hej', choice, ...answersOf(given)]) await say(conversationId, locale, text);
    const before = connector.textsFor(conversationId).length;
    await say(conversationId, locale, yes);
    const turn = connector.textsFor(conversationId).slice(before);

    // The verdict, and then the first question again.
    expect(turn.at(-1)).toBe(t('verify:ask.userId'));
    const rejection = turn.slice(0, -1).join('\n');
    expect(rejection).toContain(t('verify:rejected', { count: 2 }));

    for (const word of [...FIELD_WORDS.en, ...FIELD_WORDS.sv]) expect(rejection, `names a field (${word})`).not.toMatch(word);
    const echoed = [...answersOf(given), ...answersOf(lena), lena.userId.split('@')[0], lena.userId.split('@')[1]];
    for (const answer of echoed) expect(rejection.toLowerCase(), `repeats "${answer}"`).not.toContain(answer.toLowerCase());
    // No part of a number either (phone digits, postal code, street number): the only figure is the attempts left.
    expect(rejection, 'repeats digits of an answer').not.toMatch(/\d{2,}/u);
  });
});
