import { describe, expect, it } from 'vitest';
import { withoutNegatedActions } from '../../src/understanding/negation';
import { isQuestionAbout } from '../../src/understanding/questionForm';

describe('a clause that says NOT to cancel, delete or end is taken out before recognition', () => {
  it.each([
    ['sv', 'Inte säga upp, vi vill tvärtom ha fler licenser', 'vi vill tvärtom ha fler licenser'],
    ['sv', 'nej, inte avsluta – vi vill ha tjänsten igen', 'vi vill ha tjänsten igen'],
    ['sv', 'Vi vill inte säga upp, vi vill bara att Teams ska funka', 'vi vill bara att Teams ska funka'],
    ['en', "don't delete anything, just stop the renewal", 'just stop the renewal'],
    ['en', "I'm not cancelling yet, I just want to understand how it works.", 'I just want to understand how it works'],
    ['sv', 'Jag vill inte återaktivera något, tvärtom – säg upp även det andra abonnemanget', 'säg upp även det andra abonnemanget'],
    ['sv', 'Inte snabbåterkallelse, bara en vanlig uppsägning tack', 'bara en vanlig uppsägning tack'],
    ['sv', 'Radera ingenting, vi vill bara stoppa förlängningen', 'vi vill bara stoppa förlängningen'],
    ['en', "I don't want to upgrade or change plans, I want to end it altogether.", 'I want to end it altogether'],
    ['en', 'No reactivation needed, we are sure: shut it down and wipe the data', 'we are sure'],
  ] as const)('%s: "%s" → what is wanted', (language, text, wanted) => {
    const result = withoutNegatedActions(text, language);
    expect(result.negated).toBe(true);
    expect(result.text).toContain(wanted);
    expect(result.text).not.toMatch(/säga upp|avsluta|delete|cancelling|återaktivera|snabbåterkallelse|radera|upgrade|reactivation/i);
  });

  it.each([
    ['sv', 'jag vill säga upp vår prenumeration'],
    ['sv', 'radera allt och avsluta'],
    ['en', 'cancel it now please'],
    ['en', 'Once cancelled, do the staff lose access?'],
    // Not renewing IS the request (a cancellation at the end of the term): it stays for the recogniser to read.
    ['sv', 'Vi vill inte att abonnemanget förnyas i juni'],
    ['en', "please don't renew our plan next year"],
  ] as const)('%s: "%s" is left as it is', (language, text) => {
    expect(withoutNegatedActions(text, language)).toEqual({ text, negated: false });
  });
});

describe('a question ABOUT an action is told from a request phrased as a question', () => {
  it.each([
    ['sv', 'Ligger datan kvar en tid efter uppsägningen?', true],
    ['en', 'Once cancelled, do the staff lose access to Teams immediately?', true],
    ['sv', 'Kan ni säga upp vår prenumeration?', false],
    ['sv', 'Går det att återaktivera den?', false],
    ['en', 'Could you cancel it for us?', false],
    ['en', 'Cancel it. How long does that take?', false],
    ['en', 'cancel our subscription', false],
    // Without a question mark, as chat questions often are.
    ['sv', 'vad är snabb återkallelse egentligen, är det inte samma sak som att avsluta', true],
    ['sv', 'om jag gör snabb återkallelse idag får jag tillbaka nåt', true],
    ['en', 'what happens to our mail if we cancel', true],
    ['sv', 'säg upp vår prenumeration', false],
    ['en', 'Cancel it. What happens next', false],
  ] as const)('%s: "%s" → %s', (language, text, about) => {
    expect(isQuestionAbout(text, language)).toBe(about);
  });
});
