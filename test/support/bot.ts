import type { Activity, Middleware, TurnContext } from 'botbuilder';
import { chooseLanguage, setTurnLanguage } from '../../src/bot/language';
import { menuVocabulary } from '../../src/bot/runtime';
import { createI18n, type Language } from '../../src/i18n';
import { createPolicy, DEFAULT_POLICY_CONFIG } from '../../src/policy';
import type { AppConfig } from '../../src/config';

export const i18n = createI18n('sv');
export const policy = createPolicy(DEFAULT_POLICY_CONFIG);
export const vocabulary = menuVocabulary(i18n);
export const LOCALES: Record<Language, string> = { sv: 'sv-SE', en: 'en-US' };

/** What the bot does before any dialog runs, for tests that drive a dialog without the bot around it. */
export const languageFromActivity: Middleware = {
  async onTurn(context: TurnContext, next: () => Promise<void>) {
    setTurnLanguage(context, chooseLanguage(context.activity.locale, undefined, 'sv'));
    await next();
  },
};

export function message(text: string, language: Language, extra: Partial<Activity> = {}): Partial<Activity> {
  return { type: 'message', text, locale: LOCALES[language], ...extra };
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    auth: { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' },
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 256 * 1024,
    storage: { kind: 'memory' },
    defaultLanguage: 'sv',
    logLevel: 'silent',
    policy: DEFAULT_POLICY_CONFIG,
    ...overrides,
  };
}

export function titles(activity: Partial<Activity> | undefined): string[] {
  return (activity?.suggestedActions?.actions ?? []).map((action) => String(action.title));
}
