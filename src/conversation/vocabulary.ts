import type { i18n } from 'i18next';
import { LANGUAGES } from '../i18n';
import { buildInterruptionVocabulary, type InterruptionVocabulary } from '../understanding/interruptions';
import { choice, type Choice } from '../understanding/choices';
import { normalisePhrase } from '../understanding/phrases';
import { MENU_INTENTS } from '../understanding/intents';
import { buildYesNoVocabulary, type YesNoVocabulary } from '../understanding/yesNo';

export const CANCEL_OPTIONS = ['endOfTerm', 'now', 'keep'] as const;
export const FEEDBACK_REASONS = ['price', 'features', 'switching', 'closing', 'temporary', 'other', 'skip'] as const;

/** Every phrase the bot recognises, from both languages' locale files, built once at start-up. */
export interface Vocabulary {
  /** The main menu: one choice per intent. */
  menu: Choice[];
  cancelOptions: Choice[];
  /** "Cancel right away instead?" when the end of term is already set: now or keep, also as a yes or a no. */
  cancelInstead: Choice[];
  feedbackReasons: Choice[];
  /** "Lämna ett meddelande": offered in the menu instead of "a person" while the caller waits for one. */
  leaveMessage: Choice[];
  yesNo: YesNoVocabulary;
  interruptions: InterruptionVocabulary;
  /** "skicka igen", "send again": a new one-time code, please. */
  resendCode: ReadonlySet<string>;
  /** "verifiera en kund", "verify a caller": an agent in Teams starts verifying a caller who is on the phone. */
  startAssistedCall: ReadonlySet<string>;
  /** "avsluta samtalet", "end the call": the agent's phone call is over. */
  endAssistedCall: ReadonlySet<string>;
}

export function buildVocabulary(i18n: i18n): Vocabulary {
  // Phrase lists are one string per key ("cancel | stop | quit"), so both languages have the same keys.
  const list = (key: string) => LANGUAGES.flatMap((language) => i18n.getFixedT(language)(key).split('|').map((phrase) => phrase.trim()).filter(Boolean));
  const single = (key: string) => LANGUAGES.map((language) => i18n.getFixedT(language)(key));
  const choicesFrom = (prefix: string, values: readonly string[]) =>
    values.map((value) => choice(value, [...single(`${prefix}.${value}.title`), ...list(`${prefix}.${value}.synonyms`)]));
  return {
    menu: choicesFrom('main:menu', MENU_INTENTS),
    cancelOptions: choicesFrom('cancel:options', CANCEL_OPTIONS),
    cancelInstead: [
      choice('now', [...single('cancel:options.now.title'), ...list('cancel:options.now.synonyms'), ...single('common:yes'), ...list('common:yesWords')]),
      choice('keep', [...single('cancel:options.keep.title'), ...list('cancel:options.keep.synonyms'), ...single('common:no'), ...list('common:noWords')]),
    ],
    feedbackReasons: choicesFrom('feedback:reasons', FEEDBACK_REASONS),
    leaveMessage: [choice('leaveMessage', [...single('handoff:leaveMessage.title'), ...list('handoff:leaveMessage.synonyms')])],
    yesNo: buildYesNoVocabulary([...single('common:yes'), ...list('common:yesWords')], [...single('common:no'), ...list('common:noWords')]),
    resendCode: new Set(list('fastRevoke:resendWords').map(normalisePhrase)),
    startAssistedCall: new Set(list('agentAssist:startWords').map(normalisePhrase)),
    endAssistedCall: new Set(list('agentAssist:endWords').map(normalisePhrase)),
    interruptions: buildInterruptionVocabulary({
      cancel: list('interruptions:cancelWords'),
      help: list('interruptions:helpWords'),
      startOver: list('interruptions:startOverWords'),
      person: list('interruptions:personWords'),
      swedish: list('interruptions:swedishWords'),
      english: list('interruptions:englishWords'),
      why: list('interruptions:whyWords'),
    }, list('interruptions:whyStarters')),
  };
}
