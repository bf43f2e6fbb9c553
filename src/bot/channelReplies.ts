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
