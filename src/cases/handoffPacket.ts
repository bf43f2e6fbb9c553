import type { AccountAction, HandoffReason, RuleId, SubscriptionFacts } from '../policy';
import type { CaseStatus } from './caseLog';

/** One line of the conversation as the agent reads it: personal data masked, verification answers withheld. */
export interface TranscriptLine {
  from: 'caller' | 'bot';
  text: string;
  at: string;
}

/**
 * AS-2: everything a human agent needs so nobody asks the caller twice, in one shape for every hand-off reason.
 * No raw personal data: the user ID is masked and the transcript is masked; the verification answers never leave
 * the verification dialog.
 */
export interface HandoffPacket {
  reason: HandoffReason;
  caller: {
    /** Verified (ID-1) in this conversation; when false the agent verifies by phone. */
    verified: boolean;
    /** ID-2, when verified; null when not known. */
    isAdmin: boolean | null;
    /** The user ID, masked (`a***@fjordfika.se`); null when the caller never got that far. */
    userId: string | null;
    organisationName: string | null;
    /** ID-3: verification is locked for this caller until this time. */
    lockedUntil: string | null;
  };
  /** Which subscription, as the caller and the policy saw it; null when none was chosen yet. */
  subscription: { id: string; facts: SubscriptionFacts } | null;
  /** What the caller wanted, and the choices already made ("now", fees accepted, code confirmed…). */
  wanted: { action: AccountAction | null; choices: Record<string, string | number | boolean> };
  /** The policy's decision that led here, with its rule IDs; null for a plain request for a person. */
  decision: { outcome: string; rules: RuleId[] } | null;
  /** The caller's language: the agent answers in it. */
  language: string;
  /** The conversation so far, oldest first, masked. */
  transcript: TranscriptLine[];
  /** An action that was started but could not be finished (backend failure): the agent settles it. */
  unfinishedCase: { reference: string; status: CaseStatus } | null;
}
