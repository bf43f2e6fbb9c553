import type { SqliteDatabase } from '../storage/sqlite';
import { sqliteCommits } from '../storage/sqliteCommits';
import type { AuditRecord, CaseLog, FeedbackRecord, SupportCase } from './caseLog';
import { newCaseReference } from './caseReference';
import { caseFromRow, type CaseRow } from './caseRows';


interface AuditRow {
  at: string;
  case_reference: string | null;
  account_id: string | null;
  action: string;
  rules: string;
  channel: string;
  caller: string;
  details: string;
}


export function createSqliteCaseLog(db: SqliteDatabase): CaseLog {
  const byKey = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE idempotency_key = ?');
  const byReference = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE reference = ?');
  const insertCase = db.prepare(
    `INSERT INTO cases (reference, idempotency_key, kind, status, account_id, subscription_id, action, rules, channel, details, created_at)
     VALUES (@reference, @idempotencyKey, @kind, @status, @accountId, @subscriptionId, @action, @rules, @channel, @details, @createdAt)
     ON CONFLICT (idempotency_key) DO NOTHING`,
  );
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (at, case_reference, account_id, action, rules, channel, caller, details)
     VALUES (@at, @caseReference, @accountId, @action, @rules, @channel, @caller, @details)`,
  );
  const updateCase = db.prepare("UPDATE cases SET status = ?, details = ? WHERE reference = ? AND status IN ('pending', 'open')");
  const auditRows = db.prepare<[string], AuditRow>('SELECT * FROM audit_log WHERE case_reference = ? ORDER BY id');
  const insertFeedback = db.prepare(
    `INSERT INTO feedback (case_reference, account_id, reason, comment, language, created_at)
     VALUES (@caseReference, @accountId, @reason, @comment, @language, @createdAt)`,
  );
  const feedbackRows = db.prepare<[string], { case_reference: string; account_id: string; reason: string; comment: string | null; language: string; created_at: string }>(
    'SELECT * FROM feedback WHERE case_reference = ? ORDER BY id',
  );

  // Each change in a savepoint of its own, committed with the other turns' writes of the same round (sqliteCommits.soon).
  const commits = sqliteCommits(db);
  const appendAudit = (record: AuditRecord) =>
    insertAudit.run({ ...record, rules: JSON.stringify(record.rules), details: JSON.stringify(record.details) });

  const open = db.transaction((supportCase: SupportCase, audit: Omit<AuditRecord, 'caseReference'>) => {
    const inserted = insertCase.run({
      ...supportCase,
      rules: JSON.stringify(supportCase.rules),
      details: JSON.stringify(supportCase.details),
    });
    if (inserted.changes === 0) return { supportCase: caseFromRow(byKey.get(supportCase.idempotencyKey) as CaseRow), created: false };
    appendAudit({ ...audit, caseReference: supportCase.reference });
    return { supportCase, created: true };
  });

  const settle = db.transaction((reference: string, status: SupportCase['status'], details: Record<string, unknown>, audit: Omit<AuditRecord, 'caseReference'>) => {
    const row = byReference.get(reference);
    if (!row) throw new Error(`no case ${reference}`);
    const merged = { ...caseFromRow(row).details, ...details };
    // Settled once: a second, simultaneous settle finds it done and writes no second audit record.
    if (updateCase.run(status, JSON.stringify(merged), reference).changes === 0) return { supportCase: caseFromRow(row), settled: false };
    appendAudit({ ...audit, caseReference: reference });
    return { supportCase: caseFromRow({ ...row, status, details: JSON.stringify(merged) }), settled: true };
  });

  return {
    async openCase(supportCase, audit) {
      // A reference is short; on the rare collision with another case, draw a new one.
      for (let attempt = 0; ; attempt++) {
        try {
          const candidate = attempt === 0 ? supportCase : { ...supportCase, reference: newCaseReference() };
          return await commits.soon(() => open(candidate, audit));
        } catch (error) {
          const collision = error instanceof Error && /UNIQUE constraint failed: cases\.reference/.test(error.message);
          if (!collision || attempt >= 5) throw error;
        }
      }
    },
    async settleCase(reference, status, details, audit) {
      return commits.soon(() => settle(reference, status, details, audit));
    },
    async findByIdempotencyKey(key) {
      const row = byKey.get(key);
      return row ? caseFromRow(row) : undefined;
    },
    async findCase(reference) {
      const row = byReference.get(reference);
      return row ? caseFromRow(row) : undefined;
    },
    async audit(record) {
      await commits.soon(() => appendAudit(record));
    },
    async auditFor(caseReference) {
      return auditRows.all(caseReference).map((row) => ({
        at: row.at,
        caseReference: row.case_reference,
        accountId: row.account_id,
        action: row.action,
        rules: JSON.parse(row.rules),
        channel: row.channel,
        caller: row.caller,
        details: JSON.parse(row.details),
      }));
    },
    async recordFeedback(feedback: FeedbackRecord) {
      await commits.soon(() => insertFeedback.run(feedback));
    },
    async feedbackFor(caseReference) {
      return feedbackRows.all(caseReference).map((row) => ({
        caseReference: row.case_reference,
        accountId: row.account_id,
        reason: row.reason,
        comment: row.comment,
        language: row.language,
        createdAt: row.created_at,
      }));
    },
  };
}
