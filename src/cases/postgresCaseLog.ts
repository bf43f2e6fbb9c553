import { UNIQUE_VIOLATION, type PostgresDatabase } from '../storage/postgresDatabase';
import type { AuditRecord, CaseLog, SupportCase } from './caseLog';
import { newCaseReference } from './caseReference';
import { caseFromRow, type CaseRow } from './caseRows';

const AUDIT_COLUMNS = 'at, case_reference, account_id, action, rules, channel, caller, details';

/** An audit row's values in column order (AUDIT_COLUMNS). */
const auditValues = (record: AuditRecord) => [
  record.at,
  record.caseReference,
  record.accountId,
  record.action,
  JSON.stringify(record.rules),
  record.channel,
  record.caller,
  JSON.stringify(record.details),
];

async function appendAudit(client: { query(sql: string, params: unknown[]): Promise<unknown> }, record: AuditRecord): Promise<void> {
  await client.query(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, auditValues(record));
}

/**
 * A statement's clause that appends the audit row (its values from parameter `$first` on, as auditValues gives them)
 * only if `source` — the case written in the same statement — yields a row: a case and its audit in one statement,
 * atomic without a transaction, and one round trip where BEGIN, the case, the audit and COMMIT took three.
 */
const auditIfAny = (source: string, first: number) => {
  const [at, reference, account, action, rules, channel, caller, details] = Array.from({ length: 8 }, (_, i) => `$${first + i}`);
  return `INSERT INTO audit_log (${AUDIT_COLUMNS})
    SELECT ${at}, ${reference}, ${account}, ${action}, ${rules}::jsonb, ${channel}, ${caller}, ${details}::jsonb FROM ${source}`;
};

/** Cases, audit and feedback in PostgreSQL: one case per idempotency key and one settlement, whichever instance asks. */
export function createPostgresCaseLog(db: PostgresDatabase): CaseLog {
  const open = async (supportCase: SupportCase, audit: Omit<AuditRecord, 'caseReference'>) => {
    const caseValues = [
      supportCase.reference,
      supportCase.idempotencyKey,
      supportCase.kind,
      supportCase.status,
      supportCase.accountId,
      supportCase.subscriptionId,
      supportCase.action,
      JSON.stringify(supportCase.rules),
      supportCase.channel,
      JSON.stringify(supportCase.details),
      supportCase.createdAt,
    ];
    const { rows: opened } = await db.query(
      `WITH opened AS (
         INSERT INTO cases (reference, idempotency_key, kind, status, account_id, subscription_id, action, rules, channel, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (idempotency_key) DO NOTHING RETURNING reference),
       audited AS (${auditIfAny('opened', 12)})
       SELECT reference FROM opened`,
      [...caseValues, ...auditValues({ ...audit, caseReference: supportCase.reference })],
    );
    if (opened.length === 0) {
      // Another turn (or instance) opened it first; its statement is committed, so this read sees it.
      const { rows } = await db.query<CaseRow>('SELECT * FROM cases WHERE idempotency_key = $1', [supportCase.idempotencyKey]);
      return { supportCase: caseFromRow(rows[0]), created: false };
    }
    return { supportCase, created: true };
  };

  return {
    async openCase(supportCase, audit) {
      // A reference is short; on the rare collision with another case, draw a new one.
      for (let attempt = 0; ; attempt++) {
        try {
          return await open(attempt === 0 ? supportCase : { ...supportCase, reference: newCaseReference() }, audit);
        } catch (error) {
          const collision = (error as { code?: string; constraint?: string }).code === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'cases_pkey';
          if (!collision || attempt >= 5) throw error;
        }
      }
    },
    async settleCase(reference, status, details, audit) {
      // Settled once: a second, simultaneous settle waits for the row, finds it settled and writes no audit record.
      const updated = await db.query<CaseRow>(
        `WITH settled AS (
           UPDATE cases SET status = $2, details = details || $3::jsonb WHERE reference = $1 AND status IN ('pending', 'open') RETURNING *),
         audited AS (${auditIfAny('settled', 4)})
         SELECT * FROM settled`,
        [reference, status, JSON.stringify(details), ...auditValues({ ...audit, caseReference: reference })],
      );
      if (updated.rows[0]) return { supportCase: caseFromRow(updated.rows[0]), settled: true };
      const { rows } = await db.query<CaseRow>('SELECT * FROM cases WHERE reference = $1', [reference]);
      if (!rows[0]) throw new Error(`no case ${reference}`);
      return { supportCase: caseFromRow(rows[0]), settled: false };
    },
    async findByIdempotencyKey(key) {
      const { rows } = await db.query<CaseRow>('SELECT * FROM cases WHERE idempotency_key = $1', [key]);
      return rows[0] ? caseFromRow(rows[0]) : undefined;
    },
    async findCase(reference) {
      const { rows } = await db.query<CaseRow>('SELECT * FROM cases WHERE reference = $1', [reference]);
      return rows[0] ? caseFromRow(rows[0]) : undefined;
    },
    async audit(record) {
      await appendAudit(db, record);
    },
    async auditFor(caseReference) {
      const { rows } = await db.query<{ at: string; case_reference: string | null; account_id: string | null; action: string; rules: AuditRecord['rules']; channel: string; caller: string; details: Record<string, unknown> }>(
        'SELECT * FROM audit_log WHERE case_reference = $1 ORDER BY id',
        [caseReference],
      );
      return rows.map((row) => ({ at: row.at, caseReference: row.case_reference, accountId: row.account_id, action: row.action, rules: row.rules, channel: row.channel, caller: row.caller, details: row.details }));
    },
    async recordFeedback(feedback) {
      await db.query('INSERT INTO feedback (case_reference, account_id, reason, comment, language, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        feedback.caseReference,
        feedback.accountId,
        feedback.reason,
        feedback.comment,
        feedback.language,
        feedback.createdAt,
      ]);
    },
    async feedbackFor(caseReference) {
      const { rows } = await db.query<{ case_reference: string; account_id: string; reason: string; comment: string | null; language: string; created_at: string }>(
        'SELECT * FROM feedback WHERE case_reference = $1 ORDER BY id',
        [caseReference],
      );
      return rows.map((row) => ({ caseReference: row.case_reference, accountId: row.account_id, reason: row.reason, comment: row.comment, language: row.language, createdAt: row.created_at }));
    },
  };
}
