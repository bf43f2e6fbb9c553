import { ActivityTypes, ConfigurationBotFrameworkAuthentication, type Activity, type ResourceResponse, type TurnContext } from 'botbuilder';
import { ChannelAdapter } from '../../bot/channelAdapter';
import type { LocalDirectLine } from './localDirectLine';

/** What the SDK's adapter handles itself, without a connector: pauses, invoke answers, traces. */
const HANDLED_BY_THE_SDK = new Set<string>(['delay', ActivityTypes.InvokeResponse, ActivityTypes.Trace]);

/**
 * The adapter for the local Direct Line endpoint: the same turn processing as every channel, but a reply goes into
 * the local conversation instead of to a Bot Connector over HTTP. Its callers are authenticated by the endpoint's
 * own per-conversation tokens, so it runs without a Bot Framework identity even where the bot has one.
 */
export class LocalDirectLineAdapter extends ChannelAdapter {
  // Delivered in the process, no post to save: each message stays a message of its own.
  constructor(private readonly service: LocalDirectLine) {
    super(new ConfigurationBotFrameworkAuthentication({}), false);
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (HANDLED_BY_THE_SDK.has(activity.type ?? '')) responses.push(...(await super.sendActivities(context, [activity])));
      else responses.push({ id: this.service.deliver(activity.conversation?.id ?? context.activity.conversation.id, activity) });
    }
    return responses;
  }

  async updateActivity(_context: TurnContext, activity: Partial<Activity>): Promise<ResourceResponse | void> {
    if (activity.conversation?.id && activity.id) this.service.replace(activity.conversation.id, activity);
  }

  async deleteActivity(): Promise<void> {
    // The bot deletes none of its replies; a client would keep showing them anyway.
  }
}
