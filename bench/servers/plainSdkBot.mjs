// The baseline of issue 14: a plain botbuilder bot as the SDK's samples build one — CloudAdapter, MemoryStorage,
// a waterfall of three TextPrompts (looping, so a 14-turn conversation keeps it busy), served by restify.
import restify from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, ConversationState, MemoryStorage } from 'botbuilder';
import { DialogSet, DialogTurnStatus, TextPrompt, WaterfallDialog } from 'botbuilder-dialogs';

const conversationState = new ConversationState(new MemoryStorage());
const dialogState = conversationState.createProperty('dialogState');
const dialogs = new DialogSet(dialogState);
dialogs.add(new TextPrompt('text'));
dialogs.add(
  new WaterfallDialog('main', [
    (step) => step.prompt('text', 'What is your user ID?'),
    (step) => step.prompt('text', `Thanks, ${step.result}. Your phone number?`),
    (step) => step.prompt('text', 'And the contact person?'),
    async (step) => {
      await step.context.sendActivity('Thank you.');
      return step.replaceDialog('main');
    },
  ]),
);

class PlainBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      const dc = await dialogs.createContext(context);
      const result = await dc.continueDialog();
      if (result.status === DialogTurnStatus.empty) await dc.beginDialog('main');
      await next();
    });
  }
  async run(context) {
    await super.run(context);
    await conversationState.saveChanges(context, false);
  }
}

const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
adapter.onTurnError = async (context, error) => {
  console.error('turn error', error);
  await context.sendActivity('Sorry.');
};
const bot = new PlainBot();
const server = restify.createServer();
server.use(restify.plugins.bodyParser());
server.post('/api/messages', async (req, res) => adapter.process(req, res, (context) => bot.run(context)));
server.get('/healthz', async (_req, res) => res.send(200, { ok: true }));
server.listen(Number(process.env.PORT ?? 3979), '127.0.0.1');
