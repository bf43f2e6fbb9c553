import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import i18next, { type i18n, type TFunction } from 'i18next';

export const LANGUAGES = ['sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export type Translate = TFunction;

/** locales/ sits at the project root, both when running from src/ (tests) and from dist/src/ (npm start). */
export const LOCALES_DIR = resolve(__dirname, __dirname.includes(`${join('dist', 'src')}`) ? '../../locales' : '../locales');

/** Each JSON file under locales/<lang>/ is one namespace: locales/en/main.json → `main:greeting`. */
export function readLocaleResources(dir = LOCALES_DIR): Record<Language, Record<string, unknown>> {
  const read = (language: Language) =>
    Object.fromEntries(
      readdirSync(join(dir, language))
        .filter((file) => file.endsWith('.json'))
        .map((file) => [file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, language, file), 'utf8'))]),
    );
  return { sv: read('sv'), en: read('en') };
}

/** Built once at start-up; turns only pick a fixed-language `t` from it. */
export function createI18n(defaultLanguage: Language): i18n {
  const resources = readLocaleResources();
  const instance = i18next.createInstance();
  void instance.init({
    resources: { sv: resources.sv, en: resources.en },
    lng: defaultLanguage,
    fallbackLng: false,
    supportedLngs: [...LANGUAGES],
    ns: Object.keys(resources.en),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
    // A missing key must show up in tests, not silently print its own name to a customer.
    saveMissing: false,
    showSupportNotice: false,
  } as Parameters<i18n['init']>[0]);
  return instance;
}

/**
 * The caller's language from the channel's locale: every Swedish variant (`sv`, `sv-SE`, `sv-FI`) is Swedish,
 * any other locale English; no locale at all means "unknown" and the caller keeps what they had.
 */
export function languageFromLocale(locale: string | undefined | null): Language | undefined {
  if (!locale || !locale.trim()) return undefined;
  return /^sv(?:[-_]|$)/i.test(locale.trim()) ? 'sv' : 'en';
}

/** The BCP-47 tag used for dates and money in each language (`31 januari 2027`). */
export const FORMAT_LOCALE: Record<Language, string> = { sv: 'sv-SE', en: 'en-GB' };
