import { z } from 'zod';

/**
 * The policy's numbers. POLICY.md marks them *(config)*: defaults here, overridable through the environment
 * (src/config.ts), never written into a rule.
 */
export const policyConfigSchema = z
  .object({
    /** EARLY-4/EARLY-5: online (and assistant) cancellation needs *fewer than* this many assigned licences. */
    licenceThreshold: z.number().int().min(1).default(25),
    /** EARLY-3, RE-1, RE-3: data kept after cancellation, and so the window in which reactivation is possible. */
    retentionDays: z.number().int().min(1).default(90),
    /** FR-1: a fast revoke deletes all data within this many days. */
    fastRevokeDays: z.number().int().min(0).default(3),
    /** ID-3: failed verifications before the account and conversation are locked. */
    maxVerificationAttempts: z.number().int().min(1).default(3),
    /** ID-3: how long a lockout lasts. */
    lockoutMinutes: z.number().int().min(1).default(15),
    /** ID-1: a verification lapses after this many idle minutes, and the caller proves who they are again. */
    verificationIdleMinutes: z.number().int().min(1).default(15),
  })
  .refine((c) => c.fastRevokeDays < c.retentionDays, {
    message: 'fastRevokeDays must be shorter than retentionDays (FR-1: fast revoke deletes data sooner)',
    path: ['fastRevokeDays'],
  });

export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export const DEFAULT_POLICY_CONFIG: PolicyConfig = policyConfigSchema.parse({});
