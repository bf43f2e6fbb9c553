import { z } from 'zod';
import { subscriptionFactsSchema } from '../policy';

/** One subscription of an account: the policy's facts plus what a caller recognises it by. */
export const subscriptionSchema = z.object({
  id: z.string().min(1),
  facts: subscriptionFactsSchema,
});
export type Subscription = z.infer<typeof subscriptionSchema>;

export const postalAddressSchema = z.object({
  street: z.string().min(1),
  postalCode: z.string().min(1),
  town: z.string().min(1),
  country: z.string().min(1).optional(),
});
export type PostalAddress = z.infer<typeof postalAddressSchema>;

/** A customer organisation as the directory lists it (ID-1 items 2–5), with its subscriptions. */
export const accountSchema = z.object({
  id: z.string().min(1),
  organisationName: z.string().min(1),
  contactName: z.string().min(1),
  /** E.164 */
  phone: z.string().regex(/^\+\d{7,15}$/),
  postalAddress: postalAddressSchema,
  subscriptions: z.array(subscriptionSchema),
});
export type Account = z.infer<typeof accountSchema>;

/** A person who signs in to an account (ID-1 item 1), and whether they administer it (ID-2). */
export const directoryEntrySchema = z.object({
  userId: z.string().min(3),
  isAdmin: z.boolean(),
  account: accountSchema,
});
export type DirectoryEntry = z.infer<typeof directoryEntrySchema>;

