import type { TFunction } from 'i18next';
import { channelLabel } from '../../dialogs/replies';
import { formatDate, formatList } from '../format';
import type { Language } from '../i18n';
import type { Policy, SubscriptionFacts } from '../policy';
import type { AssistedAction } from './assistedCalls';

/** What the caller must have agreed to, ticked by the agent: the form field and the words beside it. */
export interface Agreement {
  field: 'fees' | 'prepared' | 'irreversible';
  label: string;
}

/**
 * The confirmation step of an action, as the chat's flow has it: what will happen (with dates), what the caller must
 * accept before it is done, and for a fast revoke the step-up the chat asks for too (FR-2: a one-time code to the
 * phone number on the account, then the organisation's name as the last, explicit confirmation).
 */
export interface Confirmation {
  lines: string[];
  agreements: Agreement[];
  /** FR-2: a one-time code by SMS, read out by the caller. */
  code: boolean;
  /** FR-2: the organisation's name, said by the caller and typed by the agent. */
  organisationName: boolean;
}

const NOTHING_TO_CONFIRM: Confirmation = { lines: [], agreements: [], code: false, organisationName: false };

/**
 * Asks the policy itself, on the facts the page shows; undefined when the action is not possible on them (the caller
 * of this checked planAction first, so that means the facts changed in between).
 */
export function confirmationFor(action: AssistedAction, facts: SubscriptionFacts, now: Date, policy: Policy, t: TFunction, language: Language): Confirmation | undefined {
  const date = (value: string) => formatDate(value, language);
  const domains = (list: string[]) => (list.length > 0 ? t('assisted:confirm.domains', { domains: formatList(list, language) }) : t('assisted:confirm.noDomains'));
  switch (action) {
    case 'turn-off-auto-renew': {
      const decision = policy.cancellation(facts, now);
      if (decision.outcome !== 'cancellable') return undefined;
      const { endOfTerm } = decision;
      // END-1, END-2: no fees at the end of the term; the chat asks only for the final yes.
      return { ...NOTHING_TO_CONFIRM, lines: [t('assisted:confirm.endOfTerm', { date: date(endOfTerm.endsOn), term: t(`assisted:confirm.term.${endOfTerm.termLength}`) })] };
    }
    case 'cancel-now': {
      const decision = policy.cancellation(facts, now);
      if (decision.outcome !== 'cancellable') return undefined;
      const { early } = decision;
      return {
        ...NOTHING_TO_CONFIRM,
        // EARLY-2, EARLY-3, EARLY-6 / PK-1, EARLY-4 — then the fees to accept (EARLY-1) and the chat's final yes, given
        // "once the domains are removed and you have saved what you want to keep".
        lines: [
          domains(early.domainsToRemove),
          t('assisted:confirm.accessAndData', { date: date(early.dataDeletedOn) }),
          t(early.refund.kind === 'prorated-credit' ? 'assisted:confirm.refundProrated' : 'assisted:confirm.refundNone'),
          ...(early.online.available ? [t('assisted:confirm.selfService', { threshold: policy.config.licenceThreshold })] : []),
        ],
        agreements: [
          { field: 'fees', label: t('assisted:confirm.fees') },
          { field: 'prepared', label: t(early.domainsToRemove.length > 0 ? 'assisted:confirm.preparedDomains' : 'assisted:confirm.prepared') },
        ],
      };
    }
    case 'fast-revoke': {
      const decision = policy.fastRevoke(facts, now);
      if (decision.outcome !== 'allowed') return undefined;
      const deletedBy = date(decision.dataDeletedBy);
      const stepUp = { code: true, organisationName: true };
      const irreversible: Agreement = { field: 'irreversible', label: t('assisted:confirm.irreversible', { date: deletedBy }) };
      const { situation } = decision;
      if (situation.kind === 'ended') {
        // Already cancelled: only the deletion date comes forward (FR-3, DD-1).
        return { ...stepUp, lines: [t('assisted:confirm.fastRevokeEnded', { date: deletedBy, until: date(situation.keptUntil) })], agreements: [irreversible] };
      }
      // FR-3: a running subscription is also cancelled early: domains and DNS, save the data now, the money side.
      const { money } = situation;
      return {
        ...stepUp,
        lines: [
          t('assisted:confirm.fastRevoke', { date: deletedBy, retentionDays: decision.ordinaryRetentionDays }),
          domains(situation.domainsToRemove),
          t('assisted:confirm.saveData', { date: deletedBy }),
          money.kind === 'fees-may-apply'
            ? t(money.refund.kind === 'prorated-credit' ? 'assisted:confirm.refundProrated' : 'assisted:confirm.refundNone')
            : t('assisted:confirm.askPartner', { channel: channelLabel(money.channel) }),
        ],
        agreements: [...(money.kind === 'fees-may-apply' ? [{ field: 'fees' as const, label: t('assisted:confirm.fees') }] : []), irreversible],
      };
    }
    case 'reactivate': {
      const decision = policy.reactivation(facts, now);
      if (decision.outcome !== 'allowed') return undefined;
      return { ...NOTHING_TO_CONFIRM, lines: [t('assisted:confirm.reactivate', { endedOn: date(decision.endedOn), until: date(decision.possibleUntil), renewsOn: date(decision.renewsOn) })] };
    }
  }
}
