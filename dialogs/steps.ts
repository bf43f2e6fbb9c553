import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { ComponentDialog, WaterfallDialog } from '../src/conversation/sdkDialogs';

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

/**
 * The SDK's component dialog, without the version it keeps in its stack entry: a hash of its dialog set, compared on
 * every turn to raise `versionChanged` after a redeploy. Nothing here handles that event (the SDK would only send a
 * trace), so the hash is neither kept nor compared; a conversation carries on across a redeploy as it did.
 */
export abstract class Component<O extends object = object> extends ComponentDialog<O> {
  protected async checkForVersionChange(): Promise<void> {
    // Deliberately nothing: see the class comment.
  }
}
