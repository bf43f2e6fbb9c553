import { accountSchema, type Account } from './account';

/** An `accounts` row, as both embedded databases store it. */
export interface AccountRow {
  id: string;
  organisation_name: string;
  contact_name: string;
  phone: string;
  street: string;
  postal_code: string;
  town: string;
  country: string | null;
}

/** A `subscriptions` row: SQLite keeps booleans as 0/1 and lists as JSON text, PostgreSQL as booleans and JSONB. */
export interface SubscriptionRow {
  id: string;
  plan: string;
  kind: string;
  channel: string;
  billing: string;
  assigned_licenses: number;
  term_end: string;
  auto_renew: number | boolean;
  has_payment_method: number | boolean;
  custom_domains: string | string[];
  status: string;
  cancelled_at: string | null;
  data_deletion_at: string | null;
}

/** The account as the rest of the bot knows it, checked on the way out of the database. */
export function accountFromRows(row: AccountRow, subscriptions: SubscriptionRow[]): Account {
  return accountSchema.parse({
    id: row.id,
    organisationName: row.organisation_name,
    contactName: row.contact_name,
    phone: row.phone,
    postalAddress: { street: row.street, postalCode: row.postal_code, town: row.town, country: row.country ?? undefined },
    subscriptions: subscriptions.map((s) => ({
      id: s.id,
      facts: {
        plan: s.plan,
        kind: s.kind,
        channel: s.channel,
        billing: s.billing,
        assignedLicenses: s.assigned_licenses,
        termEnd: s.term_end,
        autoRenew: Boolean(s.auto_renew),
        hasPaymentMethod: Boolean(s.has_payment_method),
        customDomains: typeof s.custom_domains === 'string' ? JSON.parse(s.custom_domains) : s.custom_domains,
        status: s.status,
        cancelledAt: s.cancelled_at,
        dataDeletionAt: s.data_deletion_at,
      },
    })),
  });
}
