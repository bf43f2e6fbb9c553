import { ComponentDialog, WaterfallDialog } from 'botbuilder-dialogs';
import { describe, expect, it } from 'vitest';
import { MainDialog } from '../../dialogs/mainDialog';
import { VERIFY_IDENTITY_DIALOG } from '../../dialogs/verifyIdentityDialog';
import type { Language } from '../../src/i18n';
import { dialogClient, i18n, message, policy, recognizer, seededActions, titles, verificationRig, vocabulary } from '../support/bot';
import { silentLogger } from '../../src/log';
import { NOW } from '../support/facts';
import { conversationTranscripts } from '../../src/conversation/transcript';
import { openSqliteDatabase } from '../../src/storage/sqlite';
import { createSqliteTranscriptLog } from '../../src/cases/sqliteTranscriptLog';

function client(flows: ConstructorParameters<typeof MainDialog>[0]['flows'] = {}, dialogs: ComponentDialog[] = [verificationRig().dialog]) {
  return dialogClient((conversationState) =>
    new MainDialog({ i18n, policy, vocabulary, recognizer, actions: seededActions().actions, logger: silentLogger, verification: verificationRig().verification, flows, dialogs, now: () => NOW, callerSession: conversationState.createProperty('callerSession'), transcript: conversationTranscripts(createSqliteTranscriptLog(openSqliteDatabase(':memory:'))), reasons: conversationState.createProperty('lastReason'), requests: conversationState.createProperty('currentRequest'), pendingDetails: conversationState.createProperty('pendingDetails') }),
  );
}

const expected = {
  sv: {
    greeting: 'Hej! Jag är prenumerationsassistenten.',
    question: 'Vad vill du göra?',
    options: ['Säg upp prenumerationen', 'Snabb återkallelse', 'Återaktivera', 'Allmänna frågor', 'Prata med en person'],
    reprompt: 'Förlåt, det uppfattade jag inte.',
    general: 'Allmänna frågor',
    overview: 'Så här fungerar en uppsägning:',
    whatElse: 'Finns det något mer jag kan hjälpa dig med?',
    offerAccount: 'Vill du att jag tittar på din egen prenumeration? Välj vad du vill göra, så kontrollerar jag först vem du är.',
    notYet: 'Det kan jag inte göra här i chatten än.',
    fastRevoke: 'snabb återkallelse',
    verifyIntro: 'Innan jag kan titta på ditt konto behöver jag kontrollera vem du är, på samma sätt som vår support gör i telefon. Det är sex korta frågor.',
    askUserId: 'Vilket användar-ID loggar du in med? (Det ser ut som en e-postadress.)',
  },
  en: {
    greeting: "Hi! I'm the subscription assistant.",
    question: 'What would you like to do?',
    options: ['Cancel subscription', 'Fast revoke', 'Reactivate', 'General questions', 'Talk to a person'],
    reprompt: "Sorry, I didn't catch that.",
    general: 'General questions',
    overview: 'Here is how cancelling works:',
    whatElse: 'Is there anything else I can help you with?',
    offerAccount: "Would you like me to look at your own subscription? Choose what to do, and I'll first check who you are.",
    notYet: "I can't do that here in the chat yet.",
    fastRevoke: 'fast revoke',
    verifyIntro: "Before I can look at your account I need to check who you are, the same way our support team does on the phone. There are six short questions.",
    askUserId: 'What is the user ID you sign in with? (It looks like an e-mail address.)',
  },
} as const;

describe.each(['sv', 'en'] as const)('MainDialog in %s', (language: Language) => {
  const say = expected[language];

  it('greets, says what it can do with the numbers from the policy, and offers the menu', async () => {
    const dialog = client();
    const greeting = await dialog.sendActivity(message(language === 'sv' ? 'hej' : 'hello', language));
    expect(greeting.text).toContain(say.greeting);
    expect(greeting.text).toContain(language === 'sv' ? 'inom 3 dagar' : 'within 3 days');
    expect(greeting.text).toContain(language === 'sv' ? 'inom 90 dagar' : 'within 90 days');
    const menu = dialog.getNextReply();
    expect(menu.text).toBe(say.question);
    expect(titles(menu)).toEqual(say.options);
  });

  it('re-prompts in the same language when it does not understand', async () => {
    const dialog = client();
    await dialog.sendActivity(message('hej', language));
    dialog.getNextReply();
    const reply = await dialog.sendActivity(message('qwerty asdf', language));
    expect(reply.text).toContain(say.reprompt);
    expect(titles(reply)).toEqual(say.options);
  });

  it('answers general questions from the policy, in plain words without rule IDs, then offers to look at the account', async () => {
    const dialog = client();
    await dialog.sendActivity(message('hej', language));
    dialog.getNextReply();
    const overview = await dialog.sendActivity(message(say.general, language));
    expect(overview.text).toContain(say.overview);
    expect(overview.text).not.toMatch(/\b(?:ID|TR|END|EARLY|PK|RE|FR|FB|AS|DD)-\d\b/);
    for (const part of ['trial', 'endOfTerm', 'openFpp', 'early', 'licences', 'data', 'refund', 'fastRevoke']) {
      expect(overview.text).toContain(i18n.getFixedT(language)(`policy:overview.${part}`, { licenceThreshold: 25, retentionDays: 90, fastRevokeDays: 3 }));
    }
    expect(dialog.getNextReply().text).toBe(say.offerAccount);
  });

  it('a first message that already names a choice skips the menu', async () => {
    const dialog = client();
    const greeting = await dialog.sendActivity(message(say.general, language));
    expect(greeting.text).toContain(say.greeting);
    expect(dialog.getNextReply().text).toContain(say.overview);
    expect(dialog.getNextReply().text).toBe(say.offerAccount);
  });

  it('an account action starts identity verification first (ID-1)', async () => {
    const dialog = client();
    await dialog.sendActivity(message('hej', language));
    dialog.getNextReply();
    const reply = await dialog.sendActivity(message(say.fastRevoke, language));
    expect(reply.text).toBe(say.verifyIntro);
    expect(dialog.getNextReply().text).toBe(say.askUserId);
  });
});

describe('MainDialog routing', () => {
  it('after verification as an admin, routes the intent to its flow with the account, then back to the menu', async () => {
    const started: unknown[] = [];
    const verified = new ComponentDialog(VERIFY_IDENTITY_DIALOG);
    verified.addDialog(new WaterfallDialog('verified.steps', [async (step) => step.endDialog({ status: 'verified', accountId: 'acc-fjordfika', organisationName: 'Fjordfika AB', isAdmin: true, caller: 'a***@fjordfika.se' })]));
    const flow = new ComponentDialog('cancelFlow');
    flow.addDialog(new WaterfallDialog('cancelFlow.steps', [async (step) => {
      started.push(step.options);
      return step.endDialog();
    }]));
    const dialog = client({ cancel: 'cancelFlow' }, [verified, flow]);
    await dialog.sendActivity(message('hej', 'sv'));
    dialog.getNextReply();
    const next = await dialog.sendActivity(message('säga upp', 'sv'));
    expect(started).toEqual([{ accountId: 'acc-fjordfika', organisationName: 'Fjordfika AB', caller: 'a***@fjordfika.se' }]);
    expect(next.text).toBe(expected.sv.whatElse);
  });

  it('understands either language whatever the caller’s language is', async () => {
    const dialog = client();
    await dialog.sendActivity(message('hej', 'sv'));
    dialog.getNextReply();
    const reply = await dialog.sendActivity(message('General questions', 'sv'));
    expect(reply.text).toContain(expected.sv.overview);
  });

  it('an Adaptive Card submit (value, no text) answers the menu', async () => {
    const dialog = client();
    await dialog.sendActivity(message('hello', 'en'));
    dialog.getNextReply();
    const reply = await dialog.sendActivity({ type: 'message', locale: 'en-US', value: { choice: 'general' } });
    expect(reply.text).toContain(expected.en.overview);
  });

  it('talk to a person, unverified: a real hand-off case marked not verified, with how to reach support (AS-2)', async () => {
    const actions = seededActions();
    const dialog = dialogClient((conversationState) =>
      new MainDialog({ i18n, policy, vocabulary, recognizer, actions: actions.actions, logger: silentLogger, verification: verificationRig().verification, flows: {}, dialogs: [verificationRig().dialog], now: () => NOW, callerSession: conversationState.createProperty('callerSession'), transcript: conversationTranscripts(createSqliteTranscriptLog(openSqliteDatabase(':memory:'))), reasons: conversationState.createProperty('lastReason'), requests: conversationState.createProperty('currentRequest'), pendingDetails: conversationState.createProperty('pendingDetails') }),
    );
    await dialog.sendActivity(message('hello', 'en'));
    dialog.getNextReply();
    const receipt = await dialog.sendActivity(message('Talk to a person', 'en'));
    expect(receipt.text).toMatch(/Your case is with a colleague\. Case reference: CX-/);
    expect(receipt.text).toContain(i18n.getFixedT('en')('common:supportContactUnset'));
    const cases = actions.db.prepare("SELECT account_id AS accountId, action, details FROM cases WHERE kind = 'handoff'").all() as Array<{ accountId: string | null; action: string; details: string }>;
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ accountId: null, action: 'none' });
    expect(JSON.parse(cases[0].details).packet).toMatchObject({ reason: 'caller-asked', caller: { verified: false }, language: 'en' });
  });
});
