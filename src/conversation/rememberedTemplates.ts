import type { Translate } from '../i18n';

/**
 * What i18next reads from a call's options for itself (which key it resolves, how it interpolates): a template that
 * names one of them as a placeholder is i18next's to fill in. `count` is read too: it is taken here only as a whole
 * number or as words (see `template`).
 */
const I18NEXT_OPTIONS = new Set([
  'context', 'ordinal', 'lng', 'lngs', 'fallbackLng', 'ns', 'keyPrefix', 'nsSeparator', 'keySeparator', 'replace',
  'interpolation', 'skipInterpolation', 'returnObjects', 'returnDetails', 'joinArrays', 'postProcess', 'applyPostProcessor',
  'nest', 'missingInterpolationHandler', 'appendNamespaceToMissingKey', 'ignoreJSONStructure', 'defaultValue',
]);

/** A placeholder as i18next finds one (its own pattern: `{{`, the shortest run on one line, `}}`). */
const PLACEHOLDER = /\{\{(.+?)\}\}/g;
/** The names filled in here: letters, digits and `_` (i18next reads a dot as a path, a comma as a format). */
const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** In a value, what i18next could read as part of a placeholder or a nested key once it is in the text. */
const READ_FURTHER = /[{}]|\$t\(/;

/** A template's text and the names of its placeholders, when every placeholder is one filled in here. */
interface Template {
  text: string;
  names: ReadonlySet<string>;
}

function templateOf(text: string): Template | undefined {
  // An unescaped placeholder (`{{- name}}`) or a nested key is i18next's.
  if (text.includes('{{-') || text.includes('$t(')) return undefined;
  const names = new Set<string>();
  for (const [, inside] of text.matchAll(PLACEHOLDER)) {
    const name = inside.trim();
    if (!SIMPLE_NAME.test(name) || I18NEXT_OPTIONS.has(name) || name.startsWith('defaultValue')) return undefined;
    names.add(name);
  }
  return { text, names };
}

/**
 * A translator that says the same as `t`, for less. A sentence without parameters reads the same every time in one
 * language: looked up once, then remembered. A sentence with parameters ("{{plan}} ({{count}} licenser)") is looked up
 * once as its template, then filled in here: through i18next each such call cost 30–170 µs (its options, its fallbacks,
 * its key's parts, and for a count `Intl.PluralRules#resolvedOptions` anew), several per turn. The locales are loaded
 * once, at start, so what is remembered never goes stale; only keys the locales have are remembered, so it is bounded
 * by them.
 *
 * Filled in here only what i18next would fill in the same way: options that are the template's placeholders (and
 * `count`), each a plain name given as a string or a number that holds nothing i18next would read further (a brace, a
 * nested `$t(`). Anything else — a missing value, another option, a list, a context — is i18next's, as before.
 * `test/conversation/rememberedTemplates.test.ts` holds the two to the same words for every sentence of both locales.
 */
export function rememberingTemplates(t: Translate): Translate {
  const plain = new Map<string, string>();
  const templates = new Map<string, Template | null>();
  const language = (t as unknown as { lng?: string }).lng;
  let pluralRules: Intl.PluralRules | undefined;
  const viaI18next = (key: unknown, rest: unknown[]) => (t as unknown as (...args: unknown[]) => unknown)(key, ...rest);

  /** Which plural form a count picks, as i18next picks it (`_zero` is tried for 0 alone); undefined: leave it to i18next. */
  const pluralForm = (count: unknown): string | undefined => {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || !language) return undefined;
    pluralRules ??= new Intl.PluralRules(language);
    return count === 0 ? 'zero' : pluralRules.select(count);
  };

  const template = (key: string, values: ReadonlyMap<string, unknown>): Template | undefined => {
    let lookup = key;
    let resolveWith: Record<string, unknown> = { skipInterpolation: true };
    // A count given as words ("fem frågor") picks no plural form in i18next either: the key is looked up as it is.
    const count = values.get('count');
    if (values.has('count') && typeof count !== 'string') {
      const form = pluralForm(count);
      if (form === undefined) return undefined;
      lookup = `${key}\u0000${form}`;
      resolveWith = { skipInterpolation: true, count };
    }
    const known = templates.get(lookup);
    if (known !== undefined) return known ?? undefined;
    const found = t(key, resolveWith) as unknown;
    // A missing key comes back as itself (i18next's own way of showing it): not a template, and not remembered.
    if (typeof found !== 'string' || found === key) return undefined;
    const read = templateOf(found);
    templates.set(lookup, read ?? null);
    return read;
  };

  const filledIn = (key: string, options: object): string | undefined => {
    // Read once, as i18next reads them (its own properties that show, the way `{ ...options }` copies them).
    const values = new Map(Object.entries(options));
    for (const value of values.values()) {
      if (typeof value === 'string' ? READ_FURTHER.test(value) : typeof value !== 'number') return undefined;
    }
    const read = template(key, values);
    if (!read) return undefined;
    for (const name of values.keys()) if (name !== 'count' && !read.names.has(name)) return undefined;
    for (const name of read.names) if (!values.has(name)) return undefined;
    return read.text.replace(PLACEHOLDER, (_placeholder, inside: string) => String(values.get(inside.trim())));
  };

  const remembering = (key: unknown, ...rest: unknown[]) => {
    if (typeof key !== 'string') return viaI18next(key, rest);
    if (rest.length === 0) {
      const known = plain.get(key);
      if (known !== undefined) return known;
      const text = t(key) as string;
      if (text !== key) plain.set(key, text);
      return text;
    }
    const [options] = rest;
    const isPlainOptions = rest.length === 1 && options !== null && typeof options === 'object' && Object.getPrototypeOf(options) === Object.prototype;
    return (isPlainOptions ? filledIn(key, options) : undefined) ?? viaI18next(key, rest);
  };
  // What a fixed translator says of itself (its language, namespace, key prefix), which callers read: kept.
  const { lng, ns, keyPrefix } = t as unknown as { lng: string; ns: unknown; keyPrefix: unknown };
  return Object.assign(remembering, { lng, ns, keyPrefix }) as unknown as Translate;
}
