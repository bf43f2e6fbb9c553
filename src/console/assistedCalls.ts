import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { subscriptionFactsSchema, type AccountAction } from '../policy';
import type { StateStore } from '../storage';
import { ONLY_IF_ABSENT } from '../storage/stateStore';
import type { CallerSession } from '../verification/session';

/**
 * The calls agents verify by phone (agent-assisted verification): kept in the state store, so every instance behind
 * the load balancer knows them. Under `…/conversations/…`, so the sweep of abandoned conversations removes a call
 * nobody has touched for the retention time, like a chat's state. Nothing of what the caller answered is kept: who they
 * are to us (account, admin or not, masked user ID) and when they were verified, like a chat's CallerSession.
 */

/** Call ids travel in URLs whose form posts server.ts lets through only with letters, digits, `_` and `-`. */
export const callIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

export function newCallId(): string {
  return randomBytes(18).toString('base64url');
}

export const ASSISTED_ACTIONS = ['turn-off-auto-renew', 'cancel-now', 'fast-revoke', 'reactivate'] as const satisfies readonly AccountAction[];
export const assistedActionSchema = z.enum(ASSISTED_ACTIONS);
export type AssistedAction = (typeof ASSISTED_ACTIONS)[number];

const issuedCodeSchema = z.object({ hash: z.string(), salt: z.string(), expiresAt: z.string() });

/** The action the agent is confirming with the caller: what the confirmation page showed, and its one-time code. */
const confirmingSchema = z.object({
  /** A fresh value for each confirmation shown: part of the idempotency key, so the same form posted twice acts once. */
  round: z.string().min(1),
  subscriptionId: z.string().min(1),
  action: assistedActionSchema,
  shown: subscriptionFactsSchema,
  /** FR-2: the code sent to the phone number on the account (hashed), and how many were sent for this confirmation. */
  code: z.object({ issued: issuedCodeSchema, sends: z.number().int().min(1) }).optional(),
});
export type Confirming = z.infer<typeof confirmingSchema>;

const assistedCallSchema = z.object({
  agentId: z.string().min(1),
  accountId: z.string().min(1),
  organisationName: z.string(),
  isAdmin: z.boolean(),
  caller: z.string(),
  verifiedAt: z.string(),
  lastActiveAt: z.string(),
  confirming: confirmingSchema.optional(),
});

/** A verified call: a CallerSession (so it lapses as a chat's does, ID-1) that belongs to the agent who verified it. */
export type AssistedCall = z.infer<typeof assistedCallSchema> & CallerSession;

export interface StoredCall {
  call: AssistedCall;
  eTag: string;
}

export interface AssistedCalls {
  /** The call as stored; undefined when there is none (or what is stored is not a call). */
  read(callId: string): Promise<StoredCall | undefined>;
  /**
   * Records a verification on this call id: a new call, or a new verification by the same agent (the last one counts).
   * False when another agent's call has this id: it is left alone.
   */
  open(callId: string, call: AssistedCall): Promise<boolean>;
  /** Writes the call over the version read; false when it changed in between (another request of the same agent). */
  save(callId: string, call: AssistedCall, eTag: string): Promise<boolean>;
  end(callId: string): Promise<void>;
}

const keyOf = (callId: string) => `agent-console/conversations/${callId}/assisted-call`;

export function createAssistedCalls(store: StateStore): AssistedCalls {
  const write = async (callId: string, call: AssistedCall, eTag: string): Promise<boolean> => {
    try {
      await store.write({ [keyOf(callId)]: { ...call, eTag } });
      return true;
    } catch (error) {
      if (error instanceof Error && /eTag/i.test(error.message)) return false;
      throw error;
    }
  };

  async function read(callId: string): Promise<StoredCall | undefined> {
    const item = (await store.read([keyOf(callId)]))[keyOf(callId)] as ({ eTag?: string } & Record<string, unknown>) | undefined;
    if (!item) return undefined;
    const parsed = assistedCallSchema.safeParse(item);
    return parsed.success ? { call: parsed.data as AssistedCall, eTag: String(item.eTag ?? '') } : undefined;
  }

  return {
    read,
    async open(callId, call) {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await write(callId, call, ONLY_IF_ABSENT)) return true;
        const existing = await read(callId);
        if (existing && existing.call.agentId !== call.agentId) return false;
        if (await write(callId, call, existing?.eTag ?? ONLY_IF_ABSENT)) return true;
      }
      return false;
    },
    save: write,
    end: (callId) => store.delete([keyOf(callId)]),
  };
}
