import { describe, expect, it } from 'vitest';
import { createI18n, languageFromLocale, readLocaleResources } from '../../src/i18n';
import { chooseLanguage } from '../../src/bot/language';

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
