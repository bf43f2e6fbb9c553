import { TurnContext, type Activity } from 'botbuilder';
import type { JsonObject } from '../storage/outbox';

/**
 * Where to reach this caller later (a proactive message from the outbox), without what names them: the channel's
 * display names of the caller and the conversation are left out, as they would be personal data at rest.
 */
export function referenceFor(context: TurnContext): JsonObject {
  const reference = TurnContext.getConversationReference(context.activity);
  const user = reference.user ? { id: reference.user.id, role: reference.user.role } : undefined;
  const conversation = reference.conversation ? { ...reference.conversation, name: undefined } : undefined;
  return JSON.parse(JSON.stringify({ ...reference, user, conversation })) as JsonObject;
}

/**
 * Activities as the outbox keeps them: plain JSON, without the addressing the SDK filled in (the caller's display name
 * is in `recipient`); the proactive send addresses them again from the stored conversation reference.
 */
export function asJson(activities: Array<Partial<Activity>>): JsonObject[] {
  return activities.map(({ from: _from, recipient: _recipient, conversation: _conversation, serviceUrl: _serviceUrl, channelId: _channelId, ...content }) => JSON.parse(JSON.stringify(content)) as JsonObject);
}
