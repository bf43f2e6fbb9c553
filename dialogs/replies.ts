import { ActionTypes, CardFactory, MessageFactory, type Activity } from 'botbuilder';
import type { ReasonToExplain } from '../src/conversation/reasons';
import { withCardId, type CardContent } from '../src/conversation/cardClicks';
import type { SupportContact } from '../src/config';
import { formatDate, formatList } from '../src/format';
import type { Language, Translate } from '../src/i18n';
import type { Policy } from '../src/policy';

/**
 * Replies are built here, by functions, from locale keys: a dialog decides *what* to say, these decide *how* it
 * looks (text with suggested actions today; cards where a channel supports them later).
 */
/**
 * A message that sends the caller to support always says how to reach it: the configured number and hours, or where
 * to find them when none is configured.
 */
export function withSupportContact(t: Translate, text: string, contact: SupportContact | undefined): string {
  return `${text} ${supportContactLine(t, contact)}`;
}

/** The contact in the language being spoken (`t` is fixed to it). */
function supportContactLine(t: Translate, contact: SupportContact | undefined): string {
  // A fixed translator knows its language (i18next's getFixedT sets `lng`); the types do not say so.
  const words = contact?.[(t as Translate & { lng: Language }).lng];
  return words ? t('common:supportContact', { contact: words }) : t('common:supportContactUnset');
}

/** "Before the cancellation / fast revoke: remove your custom domains (…)", or that there are none (EARLY-2). */
export function domainsLine(t: Translate, flow: 'cancel' | 'fastRevoke', domains: string[], language: Language): string {
  return domains.length > 0 ? t(`${flow}:domains`, { domains: formatList(domains, language) }) : t('cancel:noDomains');
}

/** How a purchase channel is named to callers. */
export function channelLabel(channel: 'OPEN' | 'FPP'): string {
  return channel === 'OPEN' ? 'Open' : 'FPP';
}

/** The policy's numbers, for texts that quote them. */
export function policyNumbers(policy: Policy) {
  const { licenceThreshold, retentionDays, fastRevokeDays, verificationIdleMinutes } = policy.config;
  return { licenceThreshold, retentionDays, fastRevokeDays, idleMinutes: verificationIdleMinutes };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * AS-3: the reason behind a refusal or decision at more length, in plain words (the rule IDs stay in the decision),
 * and what the caller can do instead; a person is always one of the options.
 */
export function whyReply(t: Translate, policy: Policy, language: Language, toExplain: ReasonToExplain, supportContact: SupportContact | undefined): string {
  const params = {
    ...policyNumbers(policy),
    ...Object.fromEntries(
      Object.entries(toExplain.params ?? {}).map(([name, value]) => [name, typeof value === 'object' ? t(value.key) : typeof value === 'string' && ISO_DATE.test(value) ? formatDate(value, language) : value]),
    ),
  };
  const explanation = policy.explain(toExplain.reason);
  const steps = explanation.nextSteps.map((step) => t('common:listItem', { item: t(`why:next.${step}`, params) }));
  return [t(`why:reasons.${explanation.reason}`, params), t('why:whatYouCanDo'), ...steps, supportContactLine(t, supportContact)].join('\n');
}

export function greetingReply(t: Translate, policy: Policy): Partial<Activity> {
  return MessageFactory.text(
    t('main:greeting', policyNumbers(policy)),
  );
}

const OVERVIEW_PARTS = ['trial', 'endOfTerm', 'openFpp', 'early', 'licences', 'data', 'refund', 'fastRevoke'] as const;

/** The rules every caller may hear without proving who they are, with the numbers from the policy config. */
export function policyOverviewReply(t: Translate, policy: Policy): Partial<Activity> {
  const numbers = policyNumbers(policy);
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

/** The verb of a card button's Action.Execute (Teams requires one); the bot reads the button's data, as from a submit. */
export const CHOOSE_VERB = 'choose';

/**
 * A question with options: an Adaptive Card of buttons where cards work (a click carries `{ choice, cardId }`: the
 * option, and which question the card asked), else buttons as suggested actions.
 */
export function choiceReply(question: string, options: Option[], channelId: string | undefined, cardId?: string): Partial<Activity> {
  if (!supportsCards(channelId)) {
    return MessageFactory.suggestedActions(options.map((o) => ({ type: ActionTypes.ImBack, title: o.title, value: o.title })), question);
  }
  const card = CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [{ type: 'TextBlock', text: question, wrap: true }],
    actions: options.map((o) => choiceAction(o, channelId, cardId)),
  });
  return { ...MessageFactory.attachment(card), summary: question };
}

/**
 * Teams gets Action.Execute (Universal Actions, card version 1.4): the click comes as an `adaptiveCard/action` invoke,
 * answered with the card refreshed — the question and the choice made, no buttons — so it cannot be pressed twice (an
 * Action.Submit card keeps its buttons for ever). A Teams client too old for Action.Execute uses the fallback, the
 * plain Action.Submit, which the dialogs read the same way. Web Chat and the Emulator keep Action.Submit: they post
 * the click as a message and have no card refresh, and their Action.Execute support varies by version.
 */
function choiceAction(option: Option, channelId: string | undefined, cardId: string | undefined): Record<string, unknown> {
  const submit = { type: 'Action.Submit', title: option.title, data: withCardId({ choice: option.value }, cardId) };
  if (channelId !== 'msteams') return submit;
  return { type: 'Action.Execute', title: option.title, verb: CHOOSE_VERB, data: submit.data, fallback: submit };
}

/** A choice card once answered: the question and the choice made (`chosen`, e.g. "✔ Vid periodens slut"), no buttons. */
export function answeredCardReply(question: string, chosen: string): CardContent {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: question, wrap: true },
      { type: 'TextBlock', text: chosen, wrap: true, weight: 'Bolder' },
    ],
  };
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
  // Each fact as a label above its value, not a FactSet: in a narrow chat panel (the widget, Teams on a phone) a
  // FactSet squeezes its labels until "Ärendenummer" breaks in the middle of the word.
  const factBlocks = facts.flatMap((fact) => [
    { type: 'TextBlock', text: fact.title, isSubtle: true, size: 'Small', wrap: true, spacing: 'Small' },
    { type: 'TextBlock', text: fact.value, weight: 'Bolder', wrap: true, spacing: 'None' },
  ]);
  const card = CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: receipt.title, weight: 'Bolder', size: 'Medium', wrap: true },
      ...factBlocks,
      { type: 'TextBlock', text: t('action:receipt.whatNext'), weight: 'Bolder', wrap: true, spacing: 'Medium' },
      { type: 'TextBlock', text: receipt.whatNext, wrap: true },
    ],
  });
  return { ...MessageFactory.attachment(card), summary: text };
}
