import type { i18n } from 'i18next';
import { LANGUAGES } from '../i18n';
import { buildInterruptionVocabulary, type InterruptionVocabulary } from '../understanding/interruptions';
import { buildMenuVocabulary, type MenuVocabulary } from '../understanding/menuRecognizer';
import { buildYesNoVocabulary, type YesNoVocabulary } from '../understanding/yesNo';

/** Every phrase the bot recognises, from both languages' locale files, built once at start-up. */
export interface Vocabulary {
  menu: MenuVocabulary;
  yesNo: YesNoVocabulary;
  interruptions: InterruptionVocabulary;
}

export function buildVocabulary(i18n: i18n): Vocabulary {
  const list = (key: string) => LANGUAGES.flatMap((language) => i18n.getFixedT(language)(key, { returnObjects: true }) as string[]);
  const single = (key: string) => LANGUAGES.map((language) => i18n.getFixedT(language)(key));
  return {
    menu: buildMenuVocabulary((intent) => [...single(`main:menu.${intent}.title`), ...list(`main:menu.${intent}.synonyms`)]),
    yesNo: buildYesNoVocabulary([...single('common:yes'), ...list('common:yesWords')], [...single('common:no'), ...list('common:noWords')]),
    interruptions: buildInterruptionVocabulary({ cancel: list('interruptions:cancelWords'), help: list('interruptions:helpWords') }),
  };
}
