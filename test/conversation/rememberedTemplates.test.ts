import { describe, expect, it } from 'vitest';
import { createI18n, LANGUAGES, readLocaleResources, type Language, type Translate } from '../../src/i18n';
import { rememberingTemplates } from '../../src/conversation/rememberedTemplates';

const i18n = createI18n('sv');
const resources = readLocaleResources();
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

/** Every sentence of a language as i18next is asked for it (`ns:key`, plural forms by their base key), with its placeholders. */
function sentences(language: Language): Map<string, { names: Set<string>; plural: boolean }> {
  const found = new Map<string, { names: Set<string>; plural: boolean }>();
  const walk = (ns: string, node: unknown, path: string[]) => {
    if (typeof node === 'string') {
      const written = path.join('.');
      const key = `${ns}:${written.replace(PLURAL_SUFFIX, '')}`;
      const sentence = found.get(key) ?? { names: new Set<string>(), plural: false };
      for (const [, inside] of node.matchAll(/\{\{([^{}]*)\}\}/g)) sentence.names.add(inside.trim());
      sentence.plural ||= PLURAL_SUFFIX.test(written);
      found.set(key, sentence);
    } else if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [name, child] of Object.entries(node)) walk(ns, child, [...path, name]);
    }
  };
  for (const [ns, tree] of Object.entries(resources[language])) if (ns !== 'nlu') walk(ns, tree, []);
  return found;
}

/** Values i18next must take as they are: letters of our own, a replacement pattern of String#replace, dots, digits. */
const VALUES = ['Microsoft 365 Business Standard', 'Åsa Ärlig-Östberg', 'a $& b $1 $$ c', ' v.1.2\n ', '', 42, -0.5];

/** A translator that counts what reaches i18next. */
function counting(language: Language) {
  const t = i18n.getFixedT(language);
  const calls = { count: 0 };
  const { lng, ns, keyPrefix } = t as unknown as { lng: string; ns: unknown; keyPrefix: unknown };
  const counted = Object.assign((...args: unknown[]) => {
    calls.count++;
    return (t as unknown as (...a: unknown[]) => unknown)(...args);
  }, { lng, ns, keyPrefix }) as unknown as Translate;
  return { calls, translate: rememberingTemplates(counted), i18next: t };
}

describe('rememberingTemplates (issue 14: a sentence with parameters filled in without i18next each time)', () => {
  for (const language of LANGUAGES) {
    it(`says every sentence of locales/${language} exactly as i18next does, with any values, and the second time without it`, () => {
      const { calls, translate, i18next } = counting(language);
      let compared = 0;
      let filledInHere = 0;
      for (const [key, { names, plural }] of sentences(language)) {
        const counts = plural ? [0, 1, 2, 5, 21, 1000, -1, 1.5, 'fem frågor'] : [undefined, 'tre frågor'];
        for (let i = 0; i < VALUES.length; i++) {
          for (const count of counts) {
            const options: Record<string, unknown> = Object.fromEntries([...names].map((name, at) => [name, VALUES[(i + at) % VALUES.length]]));
            if (count !== undefined) options.count = count;
            const said = i18next(key, { ...options });
            expect(translate(key, { ...options }), `${key} ${JSON.stringify(options)}`).toBe(said);
            // The second time the template is remembered: filled in without asking i18next again, unless a count picks
            // no form here (not a whole number) or no sentence (words for a plural sentence's count).
            const before = calls.count;
            expect(translate(key, { ...options }), `${key} ${JSON.stringify(options)}`).toBe(said);
            const given = options.count;
            const remembered = !('count' in options) || (typeof given === 'string' ? !plural : Number.isSafeInteger(given) && (given as number) >= 0);
            if (remembered && names.size > 0) {
              expect(calls.count, `${key} ${JSON.stringify(options)} asked i18next again`).toBe(before);
              filledInHere++;
            }
            // An option the sentence does not name is i18next's to read.
            expect(translate(key, { ...options, unnamed: 'x' })).toBe(i18next(key, { ...options, unnamed: 'x' }));
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(500);
      expect(filledInHere).toBeGreaterThan(compared / 4);
    });

    it(`(${language}) reads each template from i18next once, then fills it in itself`, () => {
      const { calls, translate, i18next } = counting(language);
      const options = { plan: 'Microsoft 365 Business Basic', count: 12 };
      expect(translate('account:subscriptionLabel', options)).toBe(i18next('account:subscriptionLabel', options));
      const afterFirst = calls.count;
      for (let time = 0; time < 5; time++) translate('account:subscriptionLabel', { plan: `Plan ${time}`, count: 12 + time * 10 });
      expect(calls.count).toBe(afterFirst);
      // Another plural form is another template, read once.
      expect(translate('account:subscriptionLabel', { plan: 'X', count: 1 })).toBe(i18next('account:subscriptionLabel', { plan: 'X', count: 1 }));
      expect(calls.count).toBe(afterFirst + 1);
    });
  }

  it('leaves to i18next, with its own result, whatever it would read further or otherwise', () => {
    const { calls, translate, i18next } = counting('sv');
    const cases: Array<[string, Record<string, unknown> | undefined]> = [
      // a value that holds a placeholder or a nested key
      ['account:subscriptionLabel', { plan: '{{count}} st', count: 3 }],
      ['account:subscriptionLabel', { plan: '$t(common:yes)', count: 3 }],
      // a value missing, a value that is not a string or a number
      ['account:subscriptionLabel', { count: 3 }],
      ['account:subscriptionLabel', { plan: { name: 'x' }, count: 3 }],
      // a count that is not a whole number
      ['account:subscriptionLabel', { plan: 'X', count: 1.5 }],
      // options of i18next's own
      ['account:subscriptionLabel', { plan: 'X', count: 3, lng: 'en' }],
      ['account:subscriptionLabel', { plan: 'X', count: 3, context: 'male' }],
      ['account:subscriptionLabel', { plan: 'X', count: 3, replace: { plan: 'Y' } }],
      ['account:subscriptionLabel', { plan: 'X', count: 3, ignoreJSONStructure: false }],
      // a value with a brace, which i18next could read as part of a placeholder
      ['account:subscriptionLabel', { plan: 'X{', count: 3 }],
      // a key that is missing
      ['account:noSuchSentence', { plan: 'X' }],
    ];
    for (const [key, options] of cases) {
      // Asked twice: the first time may be the template's own lookup; the second must be i18next's again.
      for (let time = 0; time < 2; time++) {
        const before = calls.count;
        expect(translate(key, options), `${key} ${JSON.stringify(options)}`).toBe(i18next(key, options));
        expect(calls.count, `${key} ${JSON.stringify(options)} went to i18next`).toBeGreaterThan(before);
      }
    }
    // An option that does not show (not enumerable) is not read, as i18next does not read it.
    const hidden = Object.defineProperty({ count: 3 }, 'plan', { value: 'X', enumerable: false });
    expect(translate('account:subscriptionLabel', hidden)).toBe(i18next('account:subscriptionLabel', hidden));
    // A list kept as one key (returnObjects) comes back as i18next gives it.
    expect(translate('fastRevoke:resendWords', { returnObjects: true })).toEqual(i18next('fastRevoke:resendWords', { returnObjects: true }));
  });
});
