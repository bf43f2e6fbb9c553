import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';

/** An adapter whose every reply is an HTTP post to the channel (the Bot Connector): fewer, fuller replies cost less. */
export interface MergesReplies {
  readonly mergesReplies: boolean;
}

/** What makes a message more than words: it must stay as it is, at the end of a post. */
function onlyWords(activity: Partial<Activity>): boolean {
  return (
    activity.type === 'message' &&
    typeof activity.text === 'string' &&
    activity.text !== '' &&
    !activity.attachments?.length &&
    !activity.suggestedActions &&
    !activity.entities?.length &&
    activity.value === undefined &&
    activity.channelData === undefined
  );
}

/**
 * The turn's messages as posts: a message of words only runs on into the next message, as a paragraph of it ("Tack,
 * ett ögonblick …", "Nu är du verifierad …" and the next question, with its buttons, are one message), so a turn
 * says its words in one post where it said them in three. `parts`: how many of the messages each post carries.
 */
export function repliesToPost(messages: ReadonlyArray<Partial<Activity>>): Array<{ activity: Partial<Activity>; parts: number }> {
  const posts: Array<{ activity: Partial<Activity>; parts: number }> = [];
  for (const message of messages) {
    const last = posts.at(-1);
    if (last && onlyWords(last.activity) && message.type === 'message' && message.textFormat === last.activity.textFormat) {
      last.activity = { ...message, text: message.text ? `${last.activity.text}\n\n${message.text}` : last.activity.text };
      last.parts++;
    } else {
      posts.push({ activity: message, parts: 1 });
    }
  }
  return posts;
}

export interface HeldReplies {
  /** What is held now (for the outbox, before it is sent). */
  held(): Array<Partial<Activity>>;
  /** Sends what was held, one by one, in order; from now on replies go straight out. On failure, `unsent` says what is left. */
  release(): Promise<void>;
  /** The held replies the connector has not taken (after a failed release). */
  unsent(): Array<Partial<Activity>>;
  /** Forgets what was held (the turn failed); from now on replies go straight out. */
  discard(): void;
}

/**
 * Holds the turn's messages back until its state is saved: a turn whose save fails (a locked SQLite file, an
 * unreachable PostgreSQL) then says nothing but the apology, instead of the next question followed by "something went
 * wrong" — the caller's place is where it was, and so is what they read. Typing indicators and invoke responses go out
 * at once. Register after the transcript, so the transcript still hears every message when it is said.
 */
export function holdReplies(context: TurnContext): HeldReplies {
  let holding = true;
  const held: Array<Partial<Activity>> = [];
  context.onSendActivities(async (_context, activities, next) => {
    if (!holding) return next();
    const messages = activities.filter((activity) => activity.type === 'message');
    if (messages.length === 0) return next();
    held.push(...messages);
    const others = activities.filter((activity) => activity.type !== 'message');
    // The rest of the batch goes on now; the held messages are answered with empty ids, as a channel without ids would.
    activities.splice(0, activities.length, ...others);
    const sent: ResourceResponse[] = others.length > 0 ? await next() : [];
    return [...sent, ...messages.map(() => ({ id: '' }))];
  });
  return {
    held: () => [...held],
    async release() {
      holding = false;
      // Where the adapter posts each reply to the channel, the turn's messages go as few as can be (see repliesToPost);
      // one post at a time, so a failure leaves exactly the ones not yet taken (a receipt is never sent twice).
      const merge = (context.adapter as Partial<MergesReplies>).mergesReplies === true;
      while (held.length > 0) {
        const [post] = merge ? repliesToPost(held) : [{ activity: held[0], parts: 1 }];
        await context.sendActivities([post.activity]);
        held.splice(0, post.parts);
      }
    },
    unsent: () => [...held],
    discard() {
      holding = false;
      held.length = 0;
    },
  };
}
