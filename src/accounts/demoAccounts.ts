import type { SqliteDatabase } from '../storage/sqlite';
import { addDays, addMonths, toCalendarDate, type CalendarDate, type SubscriptionFacts } from '../policy';
import type { Account, Subscription } from './account';

/**
 * The demo accounts, one per policy branch, so every path can be tried on a fresh install. Dates are relative to
 * the day of seeding ("cancelled 30 days ago" stays 30 days ago on the day you first start the bot).
 */
interface DemoAccount {
  id: string;
  organisationName: string;
  contactName: string;
  phone: string;
  address: { street: string; postalCode: string; town: string; country?: string };
  users: Array<{ userId: string; isAdmin: boolean }>;
  subscription: (today: CalendarDate) => SubscriptionFacts;
}

const active = (today: CalendarDate, overrides: Partial<SubscriptionFacts>): SubscriptionFacts => ({
  plan: 'SMALL_BUSINESS',
  kind: 'PAID',
  channel: 'DIRECT',
  billing: 'ANNUAL',
  assignedLicenses: 10,
  termEnd: addDays(today, 120),
  autoRenew: true,
  hasPaymentMethod: true,
  customDomains: [],
  status: 'ACTIVE',
  cancelledAt: null,
  dataDeletionAt: null,
  ...overrides,
});

const ended = (today: CalendarDate, daysAgo: number, status: 'CANCELLED' | 'FAST_REVOKED', deletionAfterDays: number, overrides: Partial<SubscriptionFacts>): SubscriptionFacts => {
  const cancelledAt = addDays(today, -daysAgo);
  return active(today, { ...overrides, status, autoRenew: false, cancelledAt, termEnd: cancelledAt, dataDeletionAt: addDays(cancelledAt, deletionAfterDays) });
};

export const DEMO_ACCOUNTS: DemoAccount[] = [
  {
    id: 'acc-fjordfika',
    organisationName: 'Fjordfika AB',
    contactName: 'Anna Lindqvist',
    phone: '+46701234567',
    address: { street: 'Storgatan 12', postalCode: '114 55', town: 'Stockholm' },
    users: [{ userId: 'anna.lindqvist@fjordfika.se', isAdmin: true }, { userId: 'sara.holm@fjordfika.se', isAdmin: false }],
    subscription: (today) => active(today, { billing: 'MONTHLY', assignedLicenses: 12, termEnd: addDays(today, 20), customDomains: ['fjordfika.se'] }),
  },
  {
    id: 'acc-nordkust',
    organisationName: 'Nordkust Logistik AB',
    contactName: 'Erik Berg',
    phone: '+46315550123',
    address: { street: 'Hamngatan 3', postalCode: '411 06', town: 'Göteborg' },
    users: [{ userId: 'erik.berg@nordkust.se', isAdmin: true }],
    subscription: (today) => active(today, { plan: 'ENTERPRISE', assignedLicenses: 40, termEnd: addMonths(today, 7), customDomains: ['nordkust.se', 'nordkust.com'] }),
  },
  {
    id: 'acc-tallmo',
    organisationName: 'Tallmo Trä AB',
    contactName: 'Ulf Berg',
    phone: '+4660123456',
    address: { street: 'Skogsvägen 5', postalCode: '852 30', town: 'Sundsvall' },
    users: [{ userId: 'ulf.berg@tallmo.se', isAdmin: true }],
    subscription: (today) => active(today, { plan: 'MIDSIZE_BUSINESS', assignedLicenses: 25, termEnd: addMonths(today, 5), customDomains: ['tallmo.se'] }),
  },
  {
    id: 'acc-brightleaf',
    organisationName: 'Brightleaf Ltd',
    contactName: 'James Carter',
    phone: '+442079460321',
    address: { street: '221 Baker Street', postalCode: 'NW1 6XE', town: 'London', country: 'United Kingdom' },
    users: [{ userId: 'james.carter@brightleaf.co.uk', isAdmin: true }],
    subscription: (today) => active(today, { kind: 'TRIAL', billing: 'MONTHLY', assignedLicenses: 5, hasPaymentMethod: false, autoRenew: false, termEnd: addDays(today, 14) }),
  },
  {
    id: 'acc-solbacken',
    organisationName: 'Solbacken Förskola',
    contactName: 'Maria Nilsson',
    phone: '+4687654321',
    address: { street: 'Björkvägen 7', postalCode: '183 30', town: 'Täby' },
    users: [{ userId: 'maria.nilsson@solbacken.se', isAdmin: true }],
    subscription: (today) => active(today, { kind: 'PRODUCT_KEY', assignedLicenses: 8, termEnd: addMonths(today, 4), customDomains: ['solbacken.se'] }),
  },
  {
    id: 'acc-vintergatan',
    organisationName: 'Vintergatan Bygg AB',
    contactName: 'Olof Strand',
    phone: '+4640987654',
    address: { street: 'Industrigatan 22', postalCode: '211 24', town: 'Malmö' },
    users: [{ userId: 'olof.strand@vintergatan.se', isAdmin: true }],
    subscription: (today) => active(today, { plan: 'MIDSIZE_BUSINESS', channel: 'FPP', assignedLicenses: 20, autoRenew: false, termEnd: addMonths(today, 3) }),
  },
  {
    id: 'acc-havsbris',
    organisationName: 'Havsbris Design AB',
    contactName: 'Lena Ek',
    phone: '+46723334455',
    address: { street: 'Strandvägen 1', postalCode: '451 30', town: 'Uddevalla' },
    users: [{ userId: 'lena.ek@havsbris.se', isAdmin: true }],
    subscription: (today) => ended(today, 30, 'CANCELLED', 90, { billing: 'MONTHLY', assignedLicenses: 6, customDomains: ['havsbris.se'] }),
  },
  {
    id: 'acc-granskog',
    organisationName: 'Granskog AB',
    contactName: 'Peter Olsen',
    phone: '+4690112233',
    address: { street: 'Kungsgatan 40', postalCode: '903 25', town: 'Umeå' },
    users: [{ userId: 'peter.olsen@granskog.se', isAdmin: true }],
    subscription: (today) => ended(today, 120, 'CANCELLED', 90, { assignedLicenses: 9 }),
  },
  {
    id: 'acc-ljusnan',
    organisationName: 'Ljusnan AB',
    contactName: 'Karin Dahl',
    phone: '+4626445566',
    address: { street: 'Norra Kungsgatan 9', postalCode: '803 20', town: 'Gävle' },
    users: [{ userId: 'karin.dahl@ljusnan.se', isAdmin: true }],
    subscription: (today) => ended(today, 2, 'FAST_REVOKED', 3, { assignedLicenses: 15 }),
  },
];

/** The demo accounts as the embedded directories store them, dated from `now`. */
export function demoDirectory(now: Date): Array<{ account: Omit<Account, 'subscriptions'>; users: Array<{ userId: string; isAdmin: boolean }>; subscription: Subscription }> {
  const today = toCalendarDate(now);
  return DEMO_ACCOUNTS.map((demo) => ({
    account: { id: demo.id, organisationName: demo.organisationName, contactName: demo.contactName, phone: demo.phone, postalAddress: demo.address },
    users: demo.users,
    subscription: { id: `sub-${demo.id.replace(/^acc-/, '')}-1`, facts: demo.subscription(today) },
  }));
}

/** Seeds the demo accounts into an empty SQLite directory; a directory that has accounts is left alone. */
export function seedDemoAccounts(db: SqliteDatabase, now: Date): boolean {
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM accounts').get()?.n ?? 0;
  if (count > 0) return false;
  const insertAccount = db.prepare(
    'INSERT INTO accounts (id, organisation_name, contact_name, phone, street, postal_code, town, country) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertUser = db.prepare('INSERT INTO account_users (user_id, account_id, is_admin) VALUES (?, ?, ?)');
  const insertSubscription = db.prepare(
    `INSERT INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew,
       has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
     VALUES (@id, @accountId, @plan, @kind, @channel, @billing, @assignedLicenses, @termEnd, @autoRenew,
       @hasPaymentMethod, @customDomains, @status, @cancelledAt, @dataDeletionAt)`,
  );
  db.transaction(() => {
    for (const { account, users, subscription } of demoDirectory(now)) {
      const { street, postalCode, town, country } = account.postalAddress;
      insertAccount.run(account.id, account.organisationName, account.contactName, account.phone, street, postalCode, town, country ?? null);
      for (const user of users) insertUser.run(user.userId, account.id, user.isAdmin ? 1 : 0);
      const { facts } = subscription;
      insertSubscription.run({
        ...facts,
        id: subscription.id,
        accountId: account.id,
        autoRenew: facts.autoRenew ? 1 : 0,
        hasPaymentMethod: facts.hasPaymentMethod ? 1 : 0,
        customDomains: JSON.stringify(facts.customDomains),
      });
    }
  })();
  return true;
}
