import { describe, expect, it } from 'vitest';
import { createI18n, languageFromLocale, readLocaleResources } from '../../src/i18n';
import { chooseLanguage } from '../../src/conversation/language';
import { createPolicy, DEFAULT_POLICY_CONFIG, REASONS } from '../../src/policy';

/** Every leaf under its dotted path; arrays count by index, as the project's pre-stop check counts them. */
function flatten(tree: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (tree === null || typeof tree !== 'object') {
    out.set(prefix, tree);
    return out;
  }
  for (const [key, value] of Object.entries(tree)) {
    for (const [k, v] of flatten(value, prefix ? `${prefix}.${key}` : key)) out.set(k, v);
  }
  return out;
}

const resources = readLocaleResources();
const keys = {
  en: flatten(resources.en),
  sv: flatten(resources.sv),
};

describe('locale parity', () => {
  it('has the same files in both languages', () => {
    expect(Object.keys(resources.sv).sort()).toEqual(Object.keys(resources.en).sort());
  });

  it('every English key exists in Swedish', () => {
    expect([...keys.en.keys()].filter((key) => !keys.sv.has(key))).toEqual([]);
  });

  it('every Swedish key exists in English', () => {
    expect([...keys.sv.keys()].filter((key) => !keys.en.has(key))).toEqual([]);
  });

  it('no string is empty, and both languages use the same {{placeholders}}', () => {
    for (const [key, en] of keys.en) {
      const sv = keys.sv.get(key);
      expect(typeof en === 'string' && en.trim().length > 0, `en ${key}`).toBe(true);
      expect(typeof sv === 'string' && sv.trim().length > 0, `sv ${key}`).toBe(true);
      const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
      expect(placeholders(sv as string), key).toEqual(placeholders(en as string));
    }
  });

  it('Swedish text is written with å, ä and ö, not their ASCII stand-ins', () => {
    const swedish = [...keys.sv.values()].join(' ');
    expect(swedish).toMatch(/[åäö]/);
    // Words a Swede never writes without their letters.
    expect(swedish).not.toMatch(/\b(pa|nar|fraga|fragor|aterkalla|aterkallelse|aterstar|ocksa|for att|anvandare|andrats|radera[sd]? for)\b/i);
  });
});

describe('what customers read', () => {
  // The NLU corpora (locales/*/nlu) are training data, not text the bot says.
  const customerFacing = (language: 'sv' | 'en') => [...keys[language]].filter(([key]) => !key.startsWith('nlu.'));

  it.each(['sv', 'en'] as const)('%s: no string names a rule ID; customers read the reason in plain words', (language) => {
    const withIds = customerFacing(language).filter(([, text]) => /\b(?:ID|TR|END|EARLY|PK|RE|FR|FB|AS|DD)-\d+\b/.test(String(text)));
    expect(withIds.map(([key]) => key)).toEqual([]);
  });

  it('the rule-ID check itself catches an ID in a sentence', () => {
    expect(/\b(?:ID|TR|END|EARLY|PK|RE|FR|FB|AS|DD)-\d+\b/.test('…bli bättre (FB-1)')).toBe(true);
  });

  it('Swedish says "du" throughout: the organisation\'s things are "organisationens" or "dina", never "er", "era" or "ni"', () => {
    const polite = customerFacing('sv').filter(([, text]) => /(?<![\p{L}])(?:er|era|ert|ni|eder)(?![\p{L}])/iu.test(String(text)));
    expect(polite.map(([key, text]) => `${key}: ${text}`)).toEqual([]);
  });

  it('every reason a caller can ask "why?" about, and every next step, is worded in both languages (AS-3)', () => {
    for (const reason of REASONS) for (const language of ['sv', 'en'] as const) expect(keys[language].has(`why.reasons.${reason}`), `${language} ${reason}`).toBe(true);
    for (const step of new Set(REASONS.flatMap((reason) => createPolicy(DEFAULT_POLICY_CONFIG).explain(reason).nextSteps))) {
      for (const language of ['sv', 'en'] as const) expect(keys[language].has(`why.next.${step}`), `${language} ${step}`).toBe(true);
    }
  });
});

describe('language resolution', () => {
  it.each([
    ['sv', 'sv'], ['sv-SE', 'sv'], ['sv-FI', 'sv'], ['SV-se', 'sv'], ['sv_SE', 'sv'],
    ['en-US', 'en'], ['en', 'en'], ['fi-FI', 'en'], ['de-DE', 'en'], ['svx', 'en'],
  ])('locale %s → %s', (locale, language) => {
    expect(languageFromLocale(locale)).toBe(language);
  });

  it('a missing locale keeps what the caller had, else the default', () => {
    expect(languageFromLocale(undefined)).toBeUndefined();
    expect(languageFromLocale('  ')).toBeUndefined();
    expect(chooseLanguage(undefined, 'en', 'sv')).toBe('en');
    expect(chooseLanguage(undefined, undefined, 'sv')).toBe('sv');
    expect(chooseLanguage('sv-SE', 'en', 'en')).toBe('sv');
  });

  it('resolves every key in both languages without falling back to the key itself', () => {
    const i18n = createI18n('sv');
    for (const language of ['sv', 'en'] as const) {
      const t = i18n.getFixedT(language);
      for (const key of keys.en.keys()) {
        const [namespace, ...path] = key.split('.');
        const fullKey = `${namespace}:${path.join('.')}`;
        const value = t(fullKey);
        expect(value, `${language} ${fullKey}`).not.toBe(fullKey);
      }
    }
  });
});
