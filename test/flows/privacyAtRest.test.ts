import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startConversation } from '../support/conversation';
import { DEMO_CALLERS } from '../support/demoCallers';
import { conversationState } from '../support/storedState';

/** Tables that hold the conversation's traces; the directory's own tables legitimately hold the accounts' details. */
const TRACE_TABLES = ['bot_state', 'cases', 'audit_log', 'feedback', 'subscription_changes', 'outbox', 'handoffs', 'handoff_messages', 'insights_events'];

/** Every way a demo caller's details could have been stored: as typed, normalised, or in the directory's form. */
function secretsOf(caller: (typeof DEMO_CALLERS)[keyof typeof DEMO_CALLERS]): string[] {
  const digits = caller.phone.replace(/\D/g, '');
  return [
    caller.userId,
    caller.userId.split('@')[0],
    caller.phone,
    digits,
    `+46${digits.slice(1)}`,
    caller.contactName,
    caller.contactName.split(' ')[1],
    caller.postalAddress.split(',')[0],
  ];
}

describe.each(['sv', 'en'] as const)('personal data at rest, after whole conversations (%s)', (language) => {
  it('no trace table holds a caller\'s user ID, phone, name or street — masked or withheld everywhere', async () => {
    const c = await startConversation({ language });
    try {
      // Anna cancels now and leaves a comment full of personal details; Maria verifies, then abandons at a question.
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now, c.words.yes, c.words.yes, c.words.price);
      const anna = DEMO_CALLERS.anna;
      await c.say(`Ring mig på ${anna.phone}, ${anna.contactName}, ${anna.postalAddress}, ${anna.userId}`);
      await c.say(language === 'sv' ? 'prata med en person' : 'talk to a person');
      const maria = DEMO_CALLERS.maria;
      await c.say(c.words.cancel, maria.userId, maria.phone);
      await c.say(language === 'sv' ? 'prata med en person' : 'talk to a person');

      const db = new Database(c.db().name, { readonly: true });
      const stored = TRACE_TABLES.map((table) => JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all())).join('\n');
      db.close();
      for (const secret of [...secretsOf(anna), ...secretsOf(maria)]) expect(stored, secret).not.toContain(secret);
    } finally {
      await c.close();
    }
  });

  it('a caller half-way through verification: the answers so far are in the state, sealed — the file shows none of them', async () => {
    const c = await startConversation({ language });
    try {
      const anna = DEMO_CALLERS.anna;
      // Four answers given, the last question (the address) still open: the answers wait in the dialog's state.
      await c.say(c.words.cancel, anna.userId, anna.phone, anna.contactName, anna.organisationName);
      const state = conversationState(c.db())!;
      expect(state.json).toContain(anna.userId);
      expect(state.json).toContain(anna.contactName);
      const db = new Database(c.db().name, { readonly: true });
      const stored = TRACE_TABLES.map((table) => JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all())).join('\n');
      db.close();
      for (const secret of [...secretsOf(anna), anna.organisationName]) expect(stored, secret).not.toContain(secret);
    } finally {
      await c.close();
    }
  });
});
