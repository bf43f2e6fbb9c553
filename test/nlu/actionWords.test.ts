import { describe, expect, it } from 'vitest';
import { saysTheAction } from '../../src/understanding/actionWords';

/** Issue 13, safety: an account flow starts outright only on a message that names the action in words of its own. */
describe('a message that says the action', () => {
  it.each([
    ['sv', 'cancel', 'vi vill sägaupp abonnemanget', true],
    ['sv', 'cancel', 'det ska inte förnyas i juni', true],
    ['sv', 'fastRevoke', 'snabbåterkallelse av vår tenant', true],
    ['sv', 'fastRevoke', 'all vår data ska bort idag', true],
    ['sv', 'reactivate', 'vi vill ha tjänsten tillbaka', true],
    ['en', 'cancel', "we won't renew next year", true],
    ['en', 'fastRevoke', 'wipe everything today', true],
    ['en', 'reactivate', 'can we have it back please', true],
    // Read as an action by the classifier, but nothing in the words says it: asked first.
    ['en', 'cancel', 'add 2 licenses to tenant northwindtraders onmicrosoft com contact', false],
    ['sv', 'cancel', 'lägg till två användare i vår tenant', false],
    ['en', 'reactivate', 'our invoice address is wrong', false],
  ] as const)('%s %s: "%s" → %s', (language, wish, text, said) => {
    expect(saysTheAction(wish, text, language)).toBe(said);
  });
});
