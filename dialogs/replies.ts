import { ActionTypes, MessageFactory, type Activity, type CardAction } from 'botbuilder';
import type { Translate } from '../src/i18n';
import type { Policy } from '../src/policy';
import { MENU_INTENTS } from '../src/understanding/intents';

/**
 * Replies are built here, by functions, from locale keys: a dialog decides *what* to say, these decide *how* it
 * looks (text with suggested actions today; cards where a channel supports them later).
 */
export function menuReply(t: Translate, questionKey: string): Partial<Activity> {
  const actions: CardAction[] = MENU_INTENTS.map((intent) => {
    const title = t(`main:menu.${intent}.title`);
    return { type: ActionTypes.ImBack, title, value: title };
  });
  return MessageFactory.suggestedActions(actions, t(questionKey));
}

/** A yes/no question with the two answers as buttons, in the caller's language. */
export function yesNoReply(t: Translate, question: string): Partial<Activity> {
  return MessageFactory.suggestedActions(
    [
      { type: ActionTypes.ImBack, title: t('common:yes'), value: t('common:yes') },
      { type: ActionTypes.ImBack, title: t('common:no'), value: t('common:no') },
    ],
    question,
  );
}

export function greetingReply(t: Translate, policy: Policy): Partial<Activity> {
  return MessageFactory.text(
    t('main:greeting', { fastRevokeDays: policy.config.fastRevokeDays, retentionDays: policy.config.retentionDays }),
  );
}

const OVERVIEW_PARTS = ['trial', 'endOfTerm', 'openFpp', 'early', 'licences', 'data', 'refund', 'fastRevoke'] as const;

/** The rules every caller may hear without proving who they are, with the numbers from the policy config. */
export function policyOverviewReply(t: Translate, policy: Policy): Partial<Activity> {
  const numbers = {
    licenceThreshold: policy.config.licenceThreshold,
    retentionDays: policy.config.retentionDays,
    fastRevokeDays: policy.config.fastRevokeDays,
  };
  const lines = OVERVIEW_PARTS.map((part) => t('common:listItem', { item: t(`policy:overview.${part}`, numbers) }));
  return MessageFactory.text([t('policy:overview.intro'), ...lines].join('\n'));
}
