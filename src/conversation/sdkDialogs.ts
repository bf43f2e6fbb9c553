/**
 * The parts of botbuilder-dialogs the bot uses, each from its own file. The package's index loads every prompt it has
 * (numbers, dates and times, choices, confirmations) with Microsoft's text recognisers for many languages behind
 * them: some 300 ms of every start (issue 14, cold start), for prompts this bot does not use (its own are in
 * prompts.ts). Types still come from the package itself (`import type`: gone once compiled).
 */
export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog';
export { DialogTurnStatus } from 'botbuilder-dialogs/lib/dialog';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet';
export { DialogStateManager } from 'botbuilder-dialogs/lib/memory/dialogStateManager';
export { Prompt } from 'botbuilder-dialogs/lib/prompts/prompt';
export { WaterfallDialog } from 'botbuilder-dialogs/lib/waterfallDialog';
