// The module object itself (require, not an ES import): its export is what the SDK's own modules read at call time.
import registrationModule = require('botbuilder-dialogs/lib/dialogsComponentRegistration');

type Registration = typeof registrationModule.DialogsComponentRegistration;

/**
 * Every DialogContext the SDK makes — a few per waterfall step — builds a DialogStateManager, whose constructor makes a
 * new DialogsComponentRegistration (a service collection with the dialogs' memory scopes and path resolvers, wired
 * afresh) and registers it in place of the last one, though all of them are alike and the memory scopes are built
 * once per process anyway (DIALOG_STATE_CONFIGURATION in supportBot.ts). About 7 % of what a turn allocated.
 *
 * This makes `new DialogsComponentRegistration()` hand out one instance per process: same class (`instanceof` and the
 * static members hold), same registration by name. It replaces the export the SDK's own modules read at call time; an
 * SDK whose module no longer looks like that is left as it is (a turn then costs what it did). Returns whether it did.
 */
export function registerDialogComponentsOnce(): boolean {
  const exports = registrationModule as { DialogsComponentRegistration: Registration };
  const Original = exports.DialogsComponentRegistration;
  const descriptor = Object.getOwnPropertyDescriptor(exports, 'DialogsComponentRegistration');
  if (typeof Original !== 'function' || !descriptor?.writable) return false;
  if ((Original as { once?: boolean }).once) return true;
  let instance: InstanceType<Registration> | undefined;
  function DialogsComponentRegistration() {
    // `new` of a function that returns an object yields that object: the one instance, made on first use.
    return (instance ??= new Original());
  }
  DialogsComponentRegistration.prototype = Original.prototype;
  Object.setPrototypeOf(DialogsComponentRegistration, Original);
  Object.defineProperty(DialogsComponentRegistration, 'once', { value: true });
  exports.DialogsComponentRegistration = DialogsComponentRegistration as unknown as Registration;
  return true;
}
