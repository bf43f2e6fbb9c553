import type { Translate } from '../i18n';

/**
 * What i18next reads from a call's options for itself (which key it resolves, how it interpolates): a call with any of
 * them goes to i18next as it is. `count` is read too, and taken here only as a whole number or as words (see `template`).
 */
const I18NEXT_OPTIONS = new Set([
  'context', 'ordinal', 'lng', 'lngs', 'fallbackLng', 'ns', 'keyPrefix', 'nsSeparator', 'keySeparator', 'replace',
  'interpolation', 'skipInterpolation', 'returnObjects', 'returnDetails', 'joinArrays', 'postProcess', 'applyPostProcessor',
  'nest', 'missingInterpolationHandler', 'appendNamespaceToMissingKey', 'defaultValue',
]);

/** A placeholder as i18next writes one (`{{name}}`); a name with more than letters, digits and `_` is not taken here. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What i18next would go on to read in a text: another placeholder, or a nested key. */
const READ_FURTHER = /\{\{|\$t\(/;

type Options = Record<string, unknown>;

/**
 * A translator that says the same as `t`, for less. A sentence without parameters reads the same every time in one
 * language: looked up once, then remembered. A sentence with parameters ("{{plan}} ({{count}} licenser)") is looked up
 * once as its template, then filled in here: through i18next each such call cost 30–170 µs (its options, its fallbacks,
 * its key's parts, and for a count `Intl.PluralRules#resolvedOptions` anew), several per turn. The locales are loaded
 * once, at start, so what is remembered never goes stale.
 *
 * Filled in here only what i18next would fill in the same way: each placeholder a plain name given as a string or a
 * number, nothing in the template or the values that i18next would read further (a placeholder, a nested `$t(`), no
 * option of i18next's own. Anything else — a missing value, a list, a context — is i18next's, as before.
 * `test/conversation/rememberedTemplates.test.ts` holds the two to the same words for every sentence of both locales.
 */
export function rememberingTemplates(t: Translate): Translate {
  const plain = new Map<string, string>();
  const templates = new Map<string, string | null>();
  const language = (t as unknown as { lng?: string }).lng;
  let pluralRules: Intl.PluralRules | undefined;
  const viaI18next = (key: unknown, rest: unknown[]) => (t as unknown as (...args: unknown[]) => unknown)(key, ...rest);

  /** Which plural form a count picks, as i18next picks it (`_zero` is tried for 0 alone); undefined: leave it to i18next. */
  const pluralClass = (count: unknown): string | undefined => {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || !language) return undefined;
    pluralRules ??= new Intl.PluralRules(language);
    return count === 0 ? 'zero' : pluralRules.select(count);
  };

  const template = (key: string, options: Options): string | undefined => {
    let lookup = key;
    let resolveWith: Options = { skipInterpolation: true };
    // A count given as words ("fem frågor") picks no plural form in i18next either: the key is looked up as it is.
    if ('count' in options && typeof options.count !== 'string') {
      const form = pluralClass(options.count);
      if (form === undefined) return undefined;
      lookup = `${key}\u0000${form}`;
      resolveWith = { skipInterpolation: true, count: options.count };
    }
    let text = templates.get(lookup);
    if (text === undefined) {
      const found = t(key, resolveWith) as unknown;
      // A missing key comes back as itself (i18next's own way of showing it): not a template.
      text = typeof found === 'string' && found !== key && !/\$t\(/.test(found) ? found : null;
      templates.set(lookup, text);
    }
    return text ?? undefined;
  };

  const filledIn = (key: string, options: Options): string | undefined => {
    for (const [name, value] of Object.entries(options)) {
      if (I18NEXT_OPTIONS.has(name) || name.startsWith('defaultValue')) return undefined;
      if (typeof value === 'string' ? READ_FURTHER.test(value) : typeof value !== 'number') return undefined;
    }
    const text = template(key, options);
    if (text === undefined) return undefined;
    let complete = true;
    const result = text.replace(PLACEHOLDER, (_placeholder, inside: string) => {
      const name = inside.trim();
      const value = SIMPLE_NAME.test(name) && Object.hasOwn(options, name) ? options[name] : undefined;
      if (value === undefined) complete = false;
      return String(value);
    });
    return complete ? result : undefined;
  };

  const remembering = (key: unknown, ...rest: unknown[]) => {
    if (typeof key !== 'string') return viaI18next(key, rest);
    if (rest.length === 0) {
      let text = plain.get(key);
      if (text === undefined) {
        text = t(key) as string;
        plain.set(key, text);
      }
      return text;
    }
    const [options] = rest;
    const isPlainOptions = rest.length === 1 && options !== null && typeof options === 'object' && Object.getPrototypeOf(options) === Object.prototype;
    return (isPlainOptions ? filledIn(key, options as Options) : undefined) ?? viaI18next(key, rest);
  };
  // What a fixed translator says of itself (its language, namespace, key prefix), which callers read: kept.
  const { lng, ns, keyPrefix } = t as unknown as { lng: string; ns: unknown; keyPrefix: unknown };
  return Object.assign(remembering, { lng, ns, keyPrefix }) as unknown as Translate;
}
