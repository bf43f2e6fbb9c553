import { CardFactory, type Activity, type TurnContext } from 'botbuilder';

/**
 * Teams shows suggested actions only in personal and group chats; in a channel a message carrying them reads "Invalid
 * message". There the same buttons go on a hero card under the text, and clicking one still sends its words back.
 */
export function adaptRepliesToChannel(context: TurnContext): void {
  const { channelId, conversation } = context.activity;
  if (channelId !== 'msteams' || conversation?.conversationType !== 'channel') return;
  context.onSendActivities(async (_context, activities, next) => {
    for (const activity of activities) asCardButtons(activity);
    return next();
  });
}

function asCardButtons(activity: Partial<Activity>): void {
  const actions = activity.suggestedActions?.actions;
  if (!actions?.length) return;
  const card = CardFactory.heroCard('', undefined, actions);
  activity.attachments = [...(activity.attachments ?? []), card];
  delete activity.suggestedActions;
}

/**
 * What a clicked Teams card (Action.Execute) becomes when the click answered nothing — the question behind it was
 * answered or left already, or the same click arrived twice: its words say so, and its buttons are gone, so it is not
 * pressed again. (A click that did answer gets the card the dialogs recorded: the question and the choice.)
 */
export function closedCard(text: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [{ type: 'TextBlock', text, wrap: true }],
  };
}
