import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Activity } from 'botbuilder';
import { DialogTestClient } from 'botbuilder-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailableError, type AccountDirectory } from '../../src/accounts/directory';
import type { Language } from '../../src/i18n';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { i18n, languageFromActivity, message, seededDirectory, titles, verificationRig, type VerificationRig } from '../support/bot';
import { answersOf, DEMO_CALLERS, type DemoCaller } from '../support/demoCallers';

const TEXT = {
  sv: {
    intro: 'Innan jag kan titta på ditt konto',
    askUserId: 'Vilket användar-ID loggar du in med?',
    askPhone: 'Vilket telefonnummer är registrerat på kontot?',
    askContact: 'Vad heter din organisations kontaktperson',
    askAdmin: 'Är du administratör för kontot?',
    retryPhone: 'Det ser inte ut som ett telefonnummer. Skriv det med riktnummer, till exempel 070-123 45 67, eller med landsnummer, till exempel +44 20 7946 0321.',
    checking: 'Tack, ett ögonblick medan jag kontrollerar uppgifterna …',
    verifiedAdmin: 'Nu är du verifierad som administratör för Fjordfika AB.',
    verifiedNotAdmin: 'men bara en administratör för kontot kan säga upp',
    rejected: 'Tyvärr stämmer uppgifterna inte med det vi har registrerat. Av säkerhetsskäl kan jag inte säga vilken av dem.',
    locked: 'Av säkerhetsskäl har jag pausat verifieringen för det här kontot i 15 minuter.',
    cancelled: 'Okej, jag avbryter. Ingenting har ändrats.',
    cancelWord: 'avbryt',
    helpWord: 'hjälp',
    helpPhone: 'Telefonnumret som din organisation har registrerat på kontot',
    unavailable: 'Förlåt, jag når inte vårt kundregister just nu.',
    gaveUp: 'Vi stannar där för den här gången:',
    yes: 'ja',
    no: 'nej',
    yesNo: ['Ja', 'Nej'],
  },
  en: {
    intro: 'Before I can look at your account',
    askUserId: 'What is the user ID you sign in with?',
    askPhone: 'What phone number is registered on the account?',
    askContact: "What are the first and last names of your organisation's contact person?",
    askAdmin: 'Are you an administrator of the account?',
    retryPhone: "That doesn't look like a phone number. Write it with its area code, like 070-123 45 67, or with the country code, like +44 20 7946 0321.",
    checking: 'Thank you, one moment while I check that…',
    verifiedAdmin: "You're now verified as an administrator of Fjordfika AB.",
    verifiedNotAdmin: 'but only an administrator of the account can cancel',
    rejected: "I'm sorry, those details don't match what we have on record. For your security I can't say which of them.",
    locked: "For your security I've paused verification for this account for the next 15 minutes.",
    cancelled: "OK, I've stopped. Nothing has been changed.",
    cancelWord: 'cancel',
    helpWord: 'help',
    helpPhone: 'The phone number your organisation registered on the account',
    unavailable: "I'm sorry, I can't reach our customer register right now.",
    gaveUp: "Let's stop there for now:",
    yes: 'yes',
    no: 'no',
    yesNo: ['Yes', 'No'],
  },
} as const;

function client(rig: VerificationRig = verificationRig(), conversationId = 'conv-1', channelId = 'test') {
  const dialogClient = new DialogTestClient(channelId, rig.dialog, undefined, [languageFromActivity]);
  // Each client is its own conversation; the attempt ledger (ID-3) is shared through the store.
  const adapter = (dialogClient as unknown as { _testAdapter: { conversation: { conversation: { id: string } } } })._testAdapter;
  adapter.conversation.conversation.id = conversationId;
  return dialogClient;
}

/** Sends each message and returns every reply the bot made, in order. */
async function converse(dialog: DialogTestClient, language: Language, texts: string[], extra: Partial<Activity> = {}): Promise<Partial<Activity>[]> {
  const replies: Partial<Activity>[] = [];
  for (const text of texts) {
    // sendActivity hands back the first reply of the turn; the rest wait in the queue.
    for (let reply = await dialog.sendActivity(message(text, language, extra)); reply; reply = dialog.getNextReply()) replies.push(reply);
  }
  return replies;
}

const texts = (replies: Partial<Activity>[]) => replies.filter((r) => r.type === 'message').map((r) => r.text ?? '');

async function verifyAs(caller: DemoCaller, language: Language, rig = verificationRig(), overrides: Partial<Record<number, string>> = {}, admin?: string) {
  const dialog = client(rig);
  const answers = answersOf(caller).map((answer, i) => overrides[i] ?? answer);
  const replies = await converse(dialog, language, ['start', ...answers, admin ?? TEXT[language].yes]);
  return { dialog, replies, said: texts(replies) };
}

describe.each(['sv', 'en'] as const)('VerifyIdentityDialog in %s', (language) => {
  const say = TEXT[language];

  it('an admin who answers everything correctly is verified (ID-1, ID-2)', async () => {
    const { dialog, said, replies } = await verifyAs(DEMO_CALLERS.anna, language);
    expect(said[0]).toContain(say.intro);
    expect(said[1]).toContain(say.askUserId);
    expect(said).toContain(say.checking);
    expect(said.at(-1)).toBe(say.verifiedAdmin);
    expect(titles(replies.find((r) => r.text === say.askAdmin))).toEqual(say.yesNo);
    expect(dialog.dialogTurnResult.result).toEqual({ status: 'verified', accountId: 'acc-fjordfika', organisationName: 'Fjordfika AB', isAdmin: true, caller: 'a***@fjordfika.se' });
  });

  it('a verified non-admin gets general information only, and how to reach their admin (ID-2)', async () => {
    const { dialog, said } = await verifyAs(DEMO_CALLERS.sara, language);
    expect(said.at(-1)).toContain(say.verifiedNotAdmin);
    expect(said.at(-1)).not.toMatch(/\bID-2\b/);
    expect(dialog.dialogTurnResult.result).toMatchObject({ status: 'verified', isAdmin: false });
  });

  it('an admin who says they are not one is treated as a non-admin (ID-2 needs both)', async () => {
    const { dialog } = await verifyAs(DEMO_CALLERS.anna, language, verificationRig(), {}, say.no);
    expect(dialog.dialogTurnResult.result).toMatchObject({ status: 'verified', isAdmin: false });
  });

  it('an invalid phone number gets a localized re-prompt showing a valid form', async () => {
    const dialog = client();
    const replies = await converse(dialog, language, ['start', DEMO_CALLERS.anna.userId, '12345']);
    expect(texts(replies).at(-1)).toBe(say.retryPhone);
    const next = await converse(dialog, language, ['070-123 45 67']);
    expect(texts(next)[0]).toContain(say.askContact);
  });

  it('one wrong answer gets a generic rejection that names no field, the same whichever was wrong', async () => {
    const wrong = ['someone.else@fjordfika.se', '070-999 99 99', 'Anna Lindgren', 'Fjordfika Holding AB', 'Storgatan 14, 114 55 Stockholm'];
    const rejections = new Set<string>();
    for (const [index, answer] of wrong.entries()) {
      const { said, dialog } = await verifyAs(DEMO_CALLERS.anna, language, verificationRig(), { [index]: answer });
      const rejection = said.find((line) => line.startsWith(say.rejected));
      expect(rejection, `wrong item ${index}`).toBeDefined();
      rejections.add(rejection as string);
      for (const field of ['ID', 'telefon', 'phone', 'namn', 'name', 'adress', 'address', 'organisation']) {
        expect(rejection?.toLowerCase()).not.toContain(field.toLowerCase());
      }
      // …and it starts over with the first question.
      expect(said.at(-1)).toContain(say.askUserId);
      expect(dialog.dialogTurnResult.status).toBe('waiting');
    }
    expect(rejections.size).toBe(1);
  });

  it('three failures lock the account; the lockout holds in a new conversation (ID-3)', async () => {
    const rig = verificationRig();
    const dialog = client(rig, 'conv-attacker');
    const wrongSet = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', say.yes];
    const replies = await converse(dialog, language, ['start', ...wrongSet, ...wrongSet, ...wrongSet]);
    expect(texts(replies).at(-1)).toBe(`${say.locked} ${i18n.getFixedT(language)('verify:locked', { minutes: '' }).split('. ').slice(1).join('. ')} ${i18n.getFixedT(language)('common:supportContactUnset')}`);
    expect(dialog.dialogTurnResult.result).toEqual({ status: 'locked' });

    // A new conversation: the account is still locked, and it is said as soon as the user ID is given.
    const second = client(verificationRig({ store: rig.store, directory: rig.directory }), 'conv-new');
    const said = texts(await converse(second, language, ['start', DEMO_CALLERS.anna.userId]));
    expect(said.at(-1)).toContain(say.locked);
    expect(second.dialogTurnResult.result).toEqual({ status: 'locked' });
  });

  it(`"${say.cancelWord}" in the middle stops without changing anything`, async () => {
    const dialog = client();
    const replies = await converse(dialog, language, ['start', DEMO_CALLERS.anna.userId, say.cancelWord]);
    expect(texts(replies).at(-1)).toBe(say.cancelled);
    expect(dialog.dialogTurnResult.status).toBe('complete');
    expect(dialog.dialogTurnResult.result).toBeUndefined();
  });

  it(`"${say.helpWord}" explains the current question and asks it again`, async () => {
    const dialog = client();
    const replies = await converse(dialog, language, ['start', DEMO_CALLERS.anna.userId, say.helpWord]);
    const said = texts(replies);
    expect(said.at(-2)).toContain(say.helpPhone);
    expect(said.at(-1)).toContain(say.askPhone);
  });

  it('several answers in one message fill several questions', async () => {
    const dialog = client();
    const opening = language === 'sv' ? 'Jag är anna.lindqvist@fjordfika.se, telefon 070-123 45 67' : "I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67";
    const replies = await converse(dialog, language, ['start', opening]);
    expect(texts(replies).at(-1)).toContain(say.askContact);
    const rest = await converse(dialog, language, ['Anna Lindqvist', 'Fjordfika AB', 'storgatan 12 , 11455 stockholm', say.yes]);
    // What was picked out of the longer message is said back once before anything is checked.
    expect(texts(rest).at(-1)).toContain(language === 'sv' ? 'Stämmer det?' : 'Is that right?');
    expect(texts(rest).at(-1)).toContain('anna.lindqvist@fjordfika.se');
    const confirmed = await converse(dialog, language, [say.yes]);
    expect(texts(confirmed).at(-1)).toBe(say.verifiedAdmin);
  });

  it('answers given with the opening request are used too', async () => {
    const rig = verificationRig();
    const dialog = new DialogTestClient('test', rig.dialog, { initialText: 'säg upp, jag är anna.lindqvist@fjordfika.se' }, [languageFromActivity]);
    const replies = await converse(dialog, language, ['start']);
    expect(texts(replies).at(-1)).toContain(say.askPhone);
  });

  it('after three re-prompts on one question it stops and offers help or a person', async () => {
    const dialog = client();
    const replies = await converse(dialog, language, ['start', 'x', 'y', 'z', 'w']);
    expect(texts(replies).at(-1)).toContain(say.gaveUp);
    expect(dialog.dialogTurnResult.result).toEqual({ status: 'gave-up' });
  });

  it('a directory that fails gets an apology and a retry, with every answer kept', async () => {
    const real = seededDirectory();
    let failures = 1;
    const flaky: AccountDirectory = {
      ...real,
      verify: async (answers) => {
        if (failures-- > 0) throw new DirectoryUnavailableError('accounts API: timeout');
        return real.verify(answers);
      },
    };
    const rig = verificationRig({ directory: flaky });
    const dialog = client(rig);
    const replies = await converse(dialog, language, ['start', ...answersOf(DEMO_CALLERS.anna), say.yes]);
    expect(texts(replies).at(-1)).toContain(say.unavailable);
    const retried = await converse(dialog, language, [say.yes]);
    expect(texts(retried).at(-1)).toBe(say.verifiedAdmin);
    expect(rig.logLines.some((line) => line.includes('verification.directory-unavailable'))).toBe(true);
  });
});

describe('VerifyIdentityDialog security', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a lockout survives reopening the SQLite file (a restart)', async () => {
    const path = join(dir, 'bot.sqlite');
    const first = createSqliteStateStore(openSqliteDatabase(path));
    const wrong = [...answersOf(DEMO_CALLERS.erik).slice(0, 4), 'Hamngatan 4, 411 06 Göteborg', 'ja'];
    const rig = verificationRig({ store: first });
    await converse(client(rig, 'conv-a'), 'sv', ['start', ...wrong, ...wrong, ...wrong]);
    await first.close();

    const reopened = createSqliteStateStore(openSqliteDatabase(path));
    const said = texts(await converse(client(verificationRig({ store: reopened, directory: rig.directory }), 'conv-b'), 'sv', ['start', DEMO_CALLERS.erik.userId]));
    expect(said.at(-1)).toContain(TEXT.sv.locked);
    await reopened.close();
  });

  it('the conversation is locked too, even when the attacker changes user ID', async () => {
    const rig = verificationRig();
    const dialog = client(rig, 'conv-same');
    const wrong = (userId: string) => [userId, '070-000 00 00', 'Ann Other', 'Other AB', 'Gatan 1, 111 11 Stockholm', 'ja'];
    const replies = await converse(dialog, 'sv', ['start', ...wrong('a@x.se'), ...wrong('b@x.se'), ...wrong('c@x.se')]);
    expect(texts(replies).at(-1)).toContain(TEXT.sv.locked);
    const again = await converse(client(rig, 'conv-same'), 'sv', ['start']);
    expect(texts(again).at(-1)).toContain(TEXT.sv.locked);
  });

  it('the lockout ends after 15 minutes', async () => {
    let clock = new Date('2026-11-22T10:00:00Z');
    const rig = verificationRig({ now: () => clock });
    const wrong = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', 'ja'];
    await converse(client(rig, 'conv-x'), 'sv', ['start', ...wrong, ...wrong, ...wrong]);
    clock = new Date('2026-11-22T10:15:00Z');
    const { said } = await verifyAs(DEMO_CALLERS.anna, 'sv', verificationRig({ store: rig.store, directory: rig.directory, now: () => clock }));
    expect(said.at(-1)).toBe(TEXT.sv.verifiedAdmin);
  });

  it('in Teams the signed-in UPN is offered and, once confirmed, not asked for', async () => {
    const rig = verificationRig({ teamsUserId: async () => 'Anna.Lindqvist@fjordfika.se' });
    const dialog = client(rig);
    const replies = await converse(dialog, 'sv', ['start']);
    expect(texts(replies).at(-1)).toBe('Jag ser att du är inloggad i Teams som anna.lindqvist@fjordfika.se. Är det kontots användar-ID?');
    const next = await converse(dialog, 'sv', ['ja']);
    expect(texts(next).at(-1)).toContain(TEXT.sv.askPhone);
  });

  it('a Teams UPN the caller does not confirm is not used', async () => {
    const rig = verificationRig({ teamsUserId: async () => 'anna.lindqvist@fjordfika.se' });
    const dialog = client(rig);
    await converse(dialog, 'en', ['start']);
    const next = await converse(dialog, 'en', ['no']);
    expect(texts(next).at(-1)).toContain(TEXT.en.askUserId);
  });

  it('personal data in the dialog is not written to the log', async () => {
    const real = seededDirectory();
    const failing: AccountDirectory = { ...real, verify: async () => { throw new DirectoryUnavailableError('down'); } };
    const rig = verificationRig({ directory: failing });
    await converse(client(rig), 'sv', ['start', ...answersOf(DEMO_CALLERS.anna), 'ja']);
    const log = rig.logLines.join('\n');
    expect(log).not.toMatch(/lindqvist|070-123|Storgatan/i);
  });
});
