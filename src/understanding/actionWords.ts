import type { Language } from '../i18n';
import { ACCOUNT_WISHES, type AccountWish } from './interruptions';
import { foldWord } from './typos';

/**
 * Safety before accuracy (issue 13): the recogniser reads a wish from the whole message, and a message about adding
 * licences to a tenant, with a contact's e-mail in it, can come out as "cancel". An account flow starts outright only
 * when the message says something of that action in its own words — ending, deleting, having back; read without them
 * (an indirect wish, or a guess), the caller is asked first. Stems on folded text (lower case, no å/ä/ö marks), so
 * "säga upp", "saga upp" and "sägaupp" all count (Swedish stems inside compounds too: "snabbåterkallelsen"; English
 * ones start a word, so "northwind" says nothing of winding down). "Back" says "have it back" only beside a verb
 * that brings something back ("turn it back on", "we want it back"), never in "back to the fryer".
 */
const SAID: Record<Language, Record<AccountWish, RegExp>> = {
  sv: {
    cancel: /(?:sag\w*\s*upp|sagt\s*upp|sa\s+upp|uppsag|avslut|avbryt|sluta|upphor|stang|forny|forlang|ta\s+bort|lagg\w*\s+ner|avveckl|fortsatt|behov|klara\w*\s+oss\s+utan|byt|gar\s+over|lamna|avsag|cancel|terminat)/,
    fastRevoke: /(?:radera|ta\s+bort|bort|wipe|utplan|aterkall|revoke|rensa|torka|forstor|data|information|spar|filer|dokument)/,
    reactivate: /(?:ateraktiv|aktiver|tillbaka|igen|aterstall|angr|starta|ateruppta|fortsatt|behov|kora\s+vidare|sakna|reactivat)/,
  },
  en: {
    cancel: /\b(?:cancel|cancl|terminat|end|stop|quit|clos|discontinu|renew|leav|drop|get\s+rid|no\s+longer|continu|need|switch|mov|unsubscrib|shut|wind\w*\s+(?:up|down)|done\s+with|finish|go\b|gone)/,
    fastRevoke: /\b(?:delet|wip|eras|revok|purg|destroy|remov|data|trace|gone|shred)/,
    reactivate: /\b(?:reactivat|re\s*activat|activat|(?:bring|get|have|want|turn|switch|put|give|take|com)\w*\s+(?:[\w']+\s+){0,4}back\b|back\s+(?:on|online|up)\b|restor|undo|again|reinstat|resum|revers|continu|keep|need|miss|un-?cancel)/,
  },
};

export function saysTheAction(wish: AccountWish, text: string, language: Language): boolean {
  return SAID[language][wish].test(foldWord(text));
}

export function isAccountWish(intent: string): intent is AccountWish {
  return (ACCOUNT_WISHES as readonly string[]).includes(intent);
}
