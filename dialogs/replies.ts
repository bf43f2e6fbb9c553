import { ActionTypes, CardFactory, MessageFactory, type Activity } from 'botbuilder';
import type { Translate } from '../src/i18n';
import type { Policy } from '../src/policy';

/**
 * Replies are built here, by functions, from locale keys: a dialog decides *what* to say, these decide *how* it
 * looks (text with suggested actions today; cards where a channel supports them later).
 */
/** A message that sends the caller to support, with the support team's contact when one is configured. */
export function withSupportContact(t: Translate, text: string, contact: string | undefined): string {
  return contact ? `${text} ${t('common:supportContact', { contact })}` : text;
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

/** Channels that render Adaptive Cards; everywhere else gets text with suggested actions. */
const CARD_CHANNELS = new Set(['msteams', 'webchat', 'directline', 'emulator']);

function supportsCards(channelId: string | undefined): boolean {
  return channelId !== undefined && CARD_CHANNELS.has(channelId);
}

export interface Option {
  value: string;
  title: string;
}

/** A question with options: an Adaptive Card of buttons where cards work (a submit carries `{ choice }`), else buttons as suggested actions. */
export function choiceReply(question: string, options: Option[], channelId: string | undefined): Partial<Activity> {
  if (!supportsCards(channelId)) {
    return MessageFactory.suggestedActions(options.map((o) => ({ type: ActionTypes.ImBack, title: o.title, value: o.title })), question);
  }
  const card = CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [{ type: 'TextBlock', text: question, wrap: true }],
    actions: options.map((o) => ({ type: 'Action.Submit', title: o.title, data: { choice: o.value } })),
  });
  return { ...MessageFactory.attachment(card), summary: question };
}

export interface ReceiptView {
  title: string;
  reference: string;
  subscription?: string;
  whatNext: string;
}

/** The end of every completed action or hand-off: a card where cards work, text otherwise, always with the case reference. */
export function receiptReply(t: Translate, receipt: ReceiptView, channelId: string | undefined): Partial<Activity> {
  const text = t('action:receipt.text', { title: receipt.title, reference: receipt.reference, whatNext: receipt.whatNext });
  if (!supportsCards(channelId)) return MessageFactory.text(text);
  const facts = [
    { title: t('action:receipt.reference'), value: receipt.reference },
    ...(receipt.subscription ? [{ title: t('action:receipt.subscription'), value: receipt.subscription }] : []),
  ];
  const card = CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: receipt.title, weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'FactSet', facts },
      { type: 'TextBlock', text: t('action:receipt.whatNext'), weight: 'Bolder', wrap: true, spacing: 'Medium' },
      { type: 'TextBlock', text: receipt.whatNext, wrap: true },
    ],
  });
  return { ...MessageFactory.attachment(card), summary: text };
}
