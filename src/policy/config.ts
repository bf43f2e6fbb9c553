import { z } from 'zod';

/**
 * The policy's numbers. The policy document marks them *(config)*: defaults here, overridable through the
 * environment (src/config.ts), never written into a rule.
 */
export const policyConfigSchema = z
  .object({
    /** EARLY-4/EARLY-5: online (and assistant) cancellation needs *fewer than* this many assigned licences. */
    licenceThreshold: z.number().int().min(1).default(25),
    /** EARLY-3, RE-1, RE-3: data kept after cancellation, and so the window in which reactivation is possible. */
    retentionDays: z.number().int().min(1).default(90),
    /** FR-1: a fast revoke deletes all data within this many days. */
    fastRevokeDays: z.number().int().min(0).default(3),
    /** ID-3: failed verifications (inside the window) before the account and conversation are locked. */
    maxVerificationAttempts: z.number().int().min(1).default(3),
    /** ID-3: how long the first lockout lasts; each further failure inside the window locks twice as long. */
    lockoutMinutes: z.number().int().min(1).default(15),
    /** ID-3: the longest a single lockout lasts, however many failures. */
    maxLockoutMinutes: z.number().int().min(1).default(24 * 60),
    /** ID-3: failures are counted over this rolling window; waiting out a lockout does not reset the count. */
    failureWindowHours: z.number().int().min(1).default(24),
    /** ID-1: a verification lapses after this many idle minutes, and the caller proves who they are again. */
    verificationIdleMinutes: z.number().int().min(1).default(15),
    /** FR-2: one-time codes a caller can have sent during one fast revoke (the first one included). */
    maxOneTimeCodes: z.number().int().min(1).default(3),
    /** FR-2: one-time codes sent for one account over the rolling window (ID-3's), however many fast revokes. */
    maxOneTimeCodesPerWindow: z.number().int().min(1).default(6),
    /** FR-2: wrong codes typed for one account over the rolling window; then no more codes until it has passed. */
    maxWrongCodesPerWindow: z.number().int().min(1).default(8),
  })
  .refine((c) => c.fastRevokeDays < c.retentionDays, {
    message: 'fastRevokeDays must be shorter than retentionDays (FR-1: fast revoke deletes data sooner)',
    path: ['fastRevokeDays'],
  })
  .refine((c) => c.lockoutMinutes <= c.maxLockoutMinutes, {
    message: 'lockoutMinutes must not exceed maxLockoutMinutes (ID-3)',
    path: ['lockoutMinutes'],
  })
  // Failures older than the window are dropped; a lock must end inside the window of the failure that set it.
  .refine((c) => c.maxLockoutMinutes <= c.failureWindowHours * 60, {
    message: 'maxLockoutMinutes must not exceed the failure window (ID-3)',
    path: ['maxLockoutMinutes'],
  });

export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export const DEFAULT_POLICY_CONFIG: PolicyConfig = policyConfigSchema.parse({});
