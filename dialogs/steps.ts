import { WaterfallDialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';

/**
 * The SDK's waterfall, without the instance id it gives each run: a UUID in the dialog stack, read only by the SDK's
 * telemetry (which this bot does not send), that every turn would read and write again at each level of the stack.
 */
export class Steps<O extends object = object> extends WaterfallDialog<O> {
  async beginDialog(dc: DialogContext, options?: O): Promise<DialogTurnResult> {
    // This run's own instance: by the time the first step has run, a dialog it began may be on top of the stack.
    const instance = dc.activeDialog;
    try {
      return await super.beginDialog(dc, options);
    } finally {
      const values = instance?.state?.values as Record<string, unknown> | undefined;
      if (values) delete values.instanceId;
    }
  }
}
