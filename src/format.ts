import { FORMAT_LOCALE, type Language } from './i18n';
import type { CalendarDate } from './policy';

const dateFormats = new Map<Language, Intl.DateTimeFormat>();

/** A calendar day as the caller writes it: `31 januari 2027`, `31 January 2027`. */
export function formatDate(date: CalendarDate | string, language: Language): string {
  let format = dateFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(FORMAT_LOCALE[language], { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    dateFormats.set(language, format);
  }
  return format.format(new Date(`${date.slice(0, 10)}T00:00:00Z`));
}

const listFormats = new Map<Language, Intl.ListFormat>();

/** A list joined the way each language does: "a, b and c" / "a, b och c". */
export function formatList(items: string[], language: Language): string {
  let format = listFormats.get(language);
  if (!format) {
    format = new Intl.ListFormat(FORMAT_LOCALE[language], { style: 'long', type: 'conjunction' });
    listFormats.set(language, format);
  }
  return format.format(items);
}

/**
 * Text without C0/C1 control characters (line breaks and tabs stay) and without half an emoji (a lone surrogate):
 * nothing a caller means, and PostgreSQL's JSON refuses both a NUL and a lone surrogate.
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}
