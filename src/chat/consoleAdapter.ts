import { randomUUID } from 'node:crypto';
import {
  ActivityTypes,
  BotAdapter,
  TurnContext,
  type Activity,
  type ConversationReference,
  type ResourceResponse,
} from 'botbuilder';

/**
 * An in-process channel for the terminal: activities go straight into the bot's middleware and replies come back
 * through `deliver`, with no HTTP, Emulator or credentials. The bot and dialogs are the same ones the server runs.
 */
export class ConsoleAdapter extends BotAdapter {
  private readonly reference: ConversationReference;

  constructor(private readonly deliver: (activity: Partial<Activity>, context: TurnContext) => void, locale?: string) {
    super();
    this.reference = {
      channelId: 'console',
      serviceUrl: 'console://local',
      conversation: { id: `console-${randomUUID()}`, isGroup: false, conversationType: 'personal', name: 'console' },
      user: { id: 'console-user', name: 'You' },
      bot: { id: 'console-bot', name: 'Assistant' },
      locale,
    };
  }

  /** Sends one activity from the user (a message, or the conversationUpdate a channel sends when the chat opens). */
  async receive(activity: Partial<Activity>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const inbound: Partial<Activity> = {
      id: randomUUID(),
      timestamp: new Date(),
      channelId: this.reference.channelId,
      serviceUrl: this.reference.serviceUrl,
      conversation: this.reference.conversation,
      from: this.reference.user,
      recipient: this.reference.bot,
      locale: this.reference.locale,
      // A locale given on the command line is the caller's choice: it wins over a language remembered from before.
      ...(this.reference.locale ? { channelData: { localeChosen: true } } : {}),
      ...activity,
    };
    await this.runMiddleware(new TurnContext(this, inbound), logic);
  }

  async sendActivities(_context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (activity.type === 'delay') await new Promise((resolve) => setTimeout(resolve, Number(activity.value) || 0));
      else if (activity.type === ActivityTypes.Message) this.deliver(activity, _context);
      responses.push({ id: randomUUID() });
    }
    return responses;
  }

  async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<ResourceResponse | void> {
    this.deliver(activity, context);
  }

  async deleteActivity(): Promise<void> {
    // A terminal cannot take back what it printed.
  }

  async continueConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'continueConversation' }, reference, true);
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }
}
