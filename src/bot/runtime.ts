import { ConversationState, UserState } from 'botbuilder';
import type { i18n } from 'i18next';
import type { AppConfig } from '../config';
import { createI18n, LANGUAGES } from '../i18n';
import type { Logger } from '../log';
import { createPolicy, type Policy } from '../policy';
import { openStateStore, type StateStore } from '../storage';
import { buildMenuVocabulary, type MenuVocabulary } from '../understanding/menuRecognizer';
import { MainDialog } from '../../dialogs/mainDialog';
import { SupportBot } from './supportBot';

/** Every language's menu titles and phrases, so a choice is understood whatever language the caller writes in. */
export function menuVocabulary(i18n: i18n): MenuVocabulary {
  return buildMenuVocabulary((intent) =>
    LANGUAGES.flatMap((language) => {
      const t = i18n.getFixedT(language);
      return [t(`main:menu.${intent}.title`), ...(t(`main:menu.${intent}.synonyms`, { returnObjects: true }) as string[])];
    }),
  );
}

export interface BotRuntime {
  bot: SupportBot;
  store: StateStore;
  i18n: i18n;
  policy: Policy;
  conversationState: ConversationState;
  logger: Logger;
  close(): Promise<void>;
}

/** Everything a turn needs, built once at start-up and shared by the HTTP server and the terminal chat. */
export async function createBotRuntime(config: AppConfig, logger: Logger, store?: StateStore): Promise<BotRuntime> {
  const stateStore = store ?? (await openStateStore(config.storage));
  const i18n = createI18n(config.defaultLanguage);
  const policy = createPolicy(config.policy);
  const vocabulary = menuVocabulary(i18n);
  const conversationState = new ConversationState(stateStore);
  const userState = new UserState(stateStore);
  const mainDialog = new MainDialog({ i18n, policy, vocabulary });
  const bot = new SupportBot({ conversationState, userState, mainDialog, defaultLanguage: config.defaultLanguage });
  return { bot, store: stateStore, i18n, policy, conversationState, logger, close: () => stateStore.close() };
}
