import type { SupportCase } from './caseLog';

/** A `cases` row: SQLite keeps rules and details as JSON text, PostgreSQL as JSONB. */
export interface CaseRow {
  reference: string;
  idempotency_key: string;
  kind: SupportCase['kind'];
  status: SupportCase['status'];
  account_id: string | null;
  subscription_id: string | null;
  action: SupportCase['action'];
  rules: string | SupportCase['rules'];
  channel: string;
  details: string | Record<string, unknown>;
  created_at: string;
}

const fromJson = <T>(value: string | T): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export const caseFromRow = (row: CaseRow): SupportCase => ({
  reference: row.reference,
  idempotencyKey: row.idempotency_key,
  kind: row.kind,
  status: row.status,
  accountId: row.account_id,
  subscriptionId: row.subscription_id,
  action: row.action,
  rules: fromJson(row.rules),
  channel: row.channel,
  details: fromJson(row.details),
  createdAt: row.created_at,
});
