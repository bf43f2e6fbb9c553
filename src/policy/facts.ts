import { z } from 'zod';
import { calendarDateSchema } from './dates';

export const PLANS = ['SMALL_BUSINESS', 'MIDSIZE_BUSINESS', 'ENTERPRISE'] as const;
export const KINDS = ['TRIAL', 'PAID', 'PRODUCT_KEY'] as const;
export const CHANNELS = ['DIRECT', 'OPEN', 'FPP'] as const;
export const BILLINGS = ['MONTHLY', 'ANNUAL'] as const;
export const STATUSES = ['ACTIVE', 'CANCELLED', 'FAST_REVOKED', 'EXPIRED'] as const;

/** What the policy needs to know about one subscription (POLICY.md, "Subscription facts"). */
export const subscriptionFactsSchema = z
  .object({
    plan: z.enum(PLANS),
    kind: z.enum(KINDS),
    channel: z.enum(CHANNELS),
    billing: z.enum(BILLINGS),
    assignedLicenses: z.number().int().min(0),
    termEnd: calendarDateSchema,
    autoRenew: z.boolean(),
    hasPaymentMethod: z.boolean(),
    customDomains: z.array(z.string().min(1)),
    status: z.enum(STATUSES),
    cancelledAt: calendarDateSchema.nullable(),
    dataDeletionAt: calendarDateSchema.nullable(),
  })
  .superRefine((facts, ctx) => {
    // END-2: only Small Business can run month to month; anything else is bad data, not a policy question.
    if (facts.plan !== 'SMALL_BUSINESS' && facts.billing === 'MONTHLY') {
      ctx.addIssue({ code: 'custom', path: ['billing'], message: `${facts.plan} is billed annually only (END-2)` });
    }
    if ((facts.status === 'CANCELLED' || facts.status === 'FAST_REVOKED') && facts.cancelledAt === null) {
      ctx.addIssue({ code: 'custom', path: ['cancelledAt'], message: `a ${facts.status} subscription needs cancelledAt` });
    }
  });

export type SubscriptionFacts = z.infer<typeof subscriptionFactsSchema>;
