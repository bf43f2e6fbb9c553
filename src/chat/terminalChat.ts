import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ActivityTypes, type Activity, type CardAction, type TurnContext } from 'botbuilder';
import type { BotRuntime } from '../composition/runtime';
import { createTurnErrorHandler } from '../bot/turnError';
import { chooseLanguage, turnLanguageIfKnown } from '../conversation/language';
import type { Language } from '../i18n';
import { ConsoleAdapter } from './consoleAdapter';

export interface TerminalChatOptions {
  runtime: BotRuntime;
  input: Readable;
  output: Writable;
  /** The channel locale to send (e.g. `en-US`); none lets the bot use what it remembers or its default. */
  locale?: string;
  defaultLanguage: Language;
}

/**
 * Talks to the bot from a terminal: opens the conversation the way a channel does, prints replies with numbered
 * options, and maps a typed number to that option. Ends on /quit or at the end of input.
 */
export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const { runtime, input, output } = options;
  let t = runtime.i18n.getFixedT(chooseLanguage(options.locale, undefined, options.defaultLanguage));
  let offered: CardAction[] = [];

  // The chat's own labels ("Du:", "Alternativ:") follow the conversation's language, switched or not.
  const print = (activity: Partial<Activity>, context: TurnContext) => {
    const language = turnLanguageIfKnown(context);
    if (language) t = runtime.i18n.getFixedT(language);
    const lines: string[] = [];
    if (activity.text) lines.push(`${t('chat:bot')}: ${activity.text}`);
    if (activity.attachments?.length) lines.push(`${t('chat:bot')}: ${t('chat:card')}`);
    const actions = activity.suggestedActions?.actions ?? [];
    if (actions.length > 0) {
      offered = actions;
      lines.push(`  ${t('chat:options')}: ${actions.map((action, index) => `[${index + 1}] ${action.title}`).join('  ')}`);
    }
    output.write(`${lines.join('\n')}\n`);
  };

  const adapter = new ConsoleAdapter(print, options.locale);
  adapter.onTurnError = createTurnErrorHandler(runtime, options.defaultLanguage);
  const logic = (context: Parameters<typeof runtime.bot.run>[0]) => runtime.bot.run(context);

  output.write(`${t('chat:intro')}\n\n`);
  await adapter.receive(
    { type: ActivityTypes.ConversationUpdate, membersAdded: [{ id: 'console-user', name: 'You' }] },
    logic,
  );

  const lines = createInterface({ input, terminal: false });
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line === '/quit' || line === '/exit') break;
    const picked = /^\d+$/.test(line) ? offered[Number(line) - 1] : undefined;
    offered = [];
    await adapter.receive({ type: ActivityTypes.Message, text: picked ? String(picked.value) : line }, logic);
  }
  output.write(`${t('chat:bye')}\n`);
}
