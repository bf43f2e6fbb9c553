import type { Policy } from '../policy';

/**
 * What the conversation remembers once a caller is verified: who they are to us, not what they answered. Dates are
 * ISO strings because this lives in conversation state (JSON).
 */
export interface CallerSession {
  accountId: string;
  organisationName: string;
  isAdmin: boolean;
  /** The user ID, masked (`a***@fjordfika.se`): enough for an audit record, useless to anyone reading state. */
  caller: string;
  verifiedAt: string;
  lastActiveAt: string;
  /** The hand-off case opened for this caller, if any: asking again points to it instead of opening another. */
  handoffReference?: string;
}

/** The session after one more message from the caller, or undefined when it lapsed while they were away (ID-1). */
export function continueSession(session: CallerSession | undefined, now: Date, policy: Policy): CallerSession | undefined {
  if (!session) return undefined;
  const access = policy.access(standing(session), now);
  if (access.level === 'none') return undefined;
  return { ...session, lastActiveAt: now.toISOString() };
}

export function standing(session: CallerSession | undefined) {
  return {
    verifiedAt: session ? new Date(session.verifiedAt) : null,
    lastActiveAt: session ? new Date(session.lastActiveAt) : null,
    isAdmin: session?.isAdmin ?? false,
  };
}
