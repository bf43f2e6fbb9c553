import { describe, expect, it } from 'vitest';
import { loadIntentRecognizer } from '../../src/understanding/nlu';
import { namesAnotherCompanysSubscription } from '../../src/understanding/notOurs';

/** Issue 13: ending a subscription that is plainly another company's never starts a cancellation here. */
describe('another company’s subscription', () => {
  it.each([
    ['sv', 'Hur säger jag upp mitt bredband hos Bahnhof?', true],
    ['sv', 'vill avsluta elavtalet', true],
    ['en', 'I need to cancel my mobile contract with Vodafone', true],
    ['en', 'stop my Netflix please', true],
    // Our own service named: it is ours, whatever else is named.
    ['sv', 'Säg upp vårt Microsoft 365, vi har bytt till Telias paket', false],
    ['en', 'cancel Business Basic, our broadband provider bundles email now', false],
    ['sv', 'Jag vill säga upp vår prenumeration', false],
    // "tre" is a number far more often than an operator.
    ['sv', 'Jag har försökt säga upp det TRE gånger nu, avsluta det bara', false],
    // Other vendors' software, in either language; "licens" is no word of ours alone.
    ['en', 'How do I cancel my Adobe subscription?', true],
    ['sv', 'Kan ni säga upp vår Adobe-licens åt oss?', true],
    ['en', 'Do you also handle QuickBooks subscriptions? Need to cancel one.', true],
    ['en', 'We moved to Google Workspace, cancel our Office 365 please', false],
    ['sv', 'Hur säger jag upp Fortnox?', true],
    // A vendor only mentioned is not the subscription to end.
    ['en', 'We use Gmail now, please cancel our subscription', false],
    ['sv', 'Vi kör Google Workspace nu, säg upp abonnemanget tack', false],
    ['sv', 'Om vi säger upp, hur exporterar vi filerna till vår Dropbox?', false],
  ] as const)('%s: "%s" → %s', (language, text, theirs) => {
    expect(namesAnotherCompanysSubscription(text, language)).toBe(theirs);
  });

  it.each([
    ['sv', 'Jag vill säga upp mitt abonnemang hos Tele2'],
    ['en', 'please cancel my gym membership'],
  ] as const)('%s: "%s" is out of scope, never a cancellation', async (language, text) => {
    const recognizer = await loadIntentRecognizer();
    expect((await recognizer.recognize(text, language)).intent).toBe('outOfScope');
  });
});
