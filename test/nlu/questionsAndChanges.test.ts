import { describe, expect, it } from 'vitest';
import { asksForAFact, isQuestionAbout } from '../../src/understanding/questionForm';
import { nearbyChangeAskedFor } from '../../src/understanding/nearbyChange';
import { buildKnownWords } from '../../src/understanding/typos';
import { extractDetails } from '../../src/understanding/details';
import { languageNamedIn } from '../../src/understanding/interruptions';
import { vocabulary } from '../support/bot';

/** Issue 13, after studying blind sets 5–8: the readings that keep a question or a nearby change out of a flow. */
describe('a question that asks for a fact, never for the action its words name', () => {
  it.each([
    ['sv', 'Hur långt i förväg måste vi säga upp för att det inte ska förnyas?', true],
    ['sv', 'Vi vill inte återaktivera nu, men fram till när skulle det gå?', true],
    ['sv', 'Senast när måste jag säga upp för att det inte ska förnyas i augusti?', true],
    ['sv', 'Vi köpte licenserna via en partner – kan vi ändå säga upp dem direkt hos er?', true],
    ['sv', 'Jag ska inte göra något än, men förklara skillnaden mellan att avsluta nu och vid periodens slut.', true],
    ['en', 'Can I cancel it myself online or do I have to go through you?', true],
    ['en', 'Who is allowed to cancel, the global admin or the billing admin?', true],
    ['en', "I'd like to know by which date I'd need to act.", true],
    // Requests stay requests.
    ['sv', 'Jag vill säga upp vårt abonnemang', false],
    ['sv', 'Vi köpte via en partner och vill säga upp nu.', false],
    ['en', 'How do I cancel our subscription?', false],
    ['en', 'Please cancel our E3 at the end of the term', false],
    // A question beside the request for the action itself is still a request.
    ['en', 'Delete all our data now, how soon can you do it?', false],
    ['sv', 'Säg upp vårt abonnemang och förklara sista fakturan', false],
    ['en', 'Please cancel our subscription before it is too late', false],
    ['sv', 'Vi byter leverantör, kan ni säga upp vårt abonnemang?', false],
    ['en', 'We have a new IT partner now. Can you cancel our Microsoft 365 subscription?', false],
    // Without å, ä and ö too.
    ['sv', 'nar senast maste vi saga upp', true],
  ] as const)('%s: "%s" → %s', (language, text, fact) => {
    expect(asksForAFact(text, language)).toBe(fact);
  });

  it.each([
    // A sentence that only sets the scene does not make the question a request …
    ['sv', 'Styrelsen tar beslut den 29:e och avtalet förnyas den 1:a. Hinner vi säga upp i tid?', true],
    ['en', 'Our plan renews on 1 October. Is that cutting it too fine?', true],
    // … one that asks for the action does.
    // … nor does a courtesy around it …
    ['en', 'If we delete our data, can we undo it? Please advise.', true],
    ['en', 'When we cancel, is email shut off immediately? Would like to be sure', true],
    ['sv', 'Om vi raderar allt, går det att ångra? Behöver veta.', true],
    ['sv', 'Säg upp den. Hur lång tid tar det?', false],
    ['en', 'Please cancel it. When does it stop?', false],
  ] as const)('%s: "%s" is a question about a flow: %s', (language, text, question) => {
    expect(isQuestionAbout(text, language)).toBe(question);
  });
});

describe('a change near ours asked for instead of an ending', () => {
  it.each([
    ['sv', 'Inte säga upp! Bara ta bort tre platser, de som hade dem har slutat.', 'addLicences'],
    // (The recogniser passes the message without its negated clause: "Vi vill inte säga upp allt, bara …" arrives as below.)
    ['sv', 'Vi vill bara ta bort två av licenserna.', 'addLicences'],
    ['en', 'Not cancelling, just want to drop one seat since Jess left.', 'addLicences'],
    ['en', 'remove 2 licenses only, NOT the whole subscription', 'addLicences'],
    ['en', 'Could you downgrade our E5 to E3 at renewal?', 'changePlan'],
    ['sv', 'Efter fusionen behöver vi gå över till Enterprise.', 'changePlan'],
    // The whole subscription, or licences with no count: an ending after all.
    ['sv', 'Säg upp licenserna tack', undefined],
    ['sv', 'Min kollega sa upp vårt abonnemang när han skulle ta bort en användare, vi vill ha det tillbaka', undefined],
    ['en', 'Cancel our subscription and remove all 12 users', undefined],
    ['en', 'Please cancel our 365 account', undefined],
    ['en', 'Please cancel our 25 licences, we are closing the company', undefined],
    ['en', 'We will switch from Business Premium to Google Workspace, please cancel.', undefined],
  ] as const)('%s: "%s" → %s', (language, text, change) => {
    expect(nearbyChangeAskedFor(text, language)).toBe(change);
  });
});

describe('the reading of words', () => {
  it('corrects two swapped letters before anything else one edit away ("free trail" is a trial, not a train)', () => {
    const known = buildKnownWords(['trial ends', 'train tickets', 'arkivet', 'aktivera']);
    expect(known.correct('trail')).toBe('trial');
    // Otherwise the longer shared beginning, as before: "arkivera" is no "aktivera".
    expect(known.correct('arkivera')).toBe('arkivet');
  });

  it('keeps "invoice address" in the words of the wish while it reads the address', () => {
    const read = extractDetails('Please update our invoice address to Storgatan 14, 411 38 Göteborg.', { region: 'SE' });
    expect(read.answers.postalAddress).toBe('Storgatan 14, 411 38 Göteborg');
    expect(read.rest).toContain('invoice address');
    const sv = extractDetails('Kan ni uppdatera faktureringsadressen till Storgatan 12, 852 30 Sundsvall?', { region: 'SE' });
    expect(sv.answers.postalAddress).toBe('Storgatan 12, 852 30 Sundsvall');
    expect(sv.rest).toContain('faktureringsadressen');
  });

  it('takes no value after a label followed by "and" ("company name and VAT number")', () => {
    expect(extractDetails('How do I update our company name and VAT number on the invoices?').answers.organisationName).toBeUndefined();
  });
});

describe('the language a message asks for', () => {
  it.each([
    ['Min kollega förstår inte svenska – kan du skriva på engelska?', 'en'],
    ['Can we switch to English please? My Swedish is not good enough.', 'en'],
    ['Jag förstår inte engelska, kan vi köra på svenska?', 'sv'],
    ['Nej inte svenska, engelska tack', 'en'],
  ] as const)('"%s" asks for %s', (text, language) => {
    expect(languageNamedIn(vocabulary.interruptions, text)).toBe(language);
  });
});
