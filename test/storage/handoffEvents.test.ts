import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createBroadcastHandoffEvents, type HandoffEvent } from '../../src/handoffs/handoffEvents';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/storage/postgresDatabase';
import { freshPostgresSchema, PG_URL } from '../support/postgres';

/** Hand-off events between instances through PostgreSQL's LISTEN/NOTIFY: what agent pages on every instance hear. */
describe('hand-off events between instances (PostgreSQL)', () => {
  const database = freshPostgresSchema();
  const other = freshPostgresSchema();
  const lost: Error[] = [];
  let databases: PostgresDatabase[];

  beforeAll(async () => {
    databases = await Promise.all([database, database, other].map((d) => openPostgresDatabase(PG_URL, { schema: d.schema, onConnectionLost: (error) => lost.push(error) })));
  });

  afterAll(async () => {
    await Promise.all(databases.map((db) => db.close()));
    await Promise.all([database.drop(), other.drop()]);
  });

  async function until(condition: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('not in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('an event published on one instance is heard once on each instance of the deployment, and by no other deployment', async () => {
    const [a, b, elsewhere] = await Promise.all(databases.map((db) => createBroadcastHandoffEvents(db, (error) => lost.push(error))));
    const heard: Record<string, HandoffEvent[]> = { a: [], b: [], elsewhere: [] };
    a.subscribe((event) => heard.a.push(event));
    b.subscribe((event) => heard.b.push(event));
    elsewhere.subscribe((event) => heard.elsewhere.push(event));
    a.publish({ kind: 'opened', handoffId: 'CX-AAAA-11' });
    // Heard at once on its own instance (not again when its notification comes back), and soon on the other.
    expect(heard.a).toEqual([{ kind: 'opened', handoffId: 'CX-AAAA-11' }]);
    await until(() => heard.b.length === 1);
    b.publish({ kind: 'taken', handoffId: 'CX-AAAA-11' });
    await until(() => heard.a.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard.a).toEqual([{ kind: 'opened', handoffId: 'CX-AAAA-11' }, { kind: 'taken', handoffId: 'CX-AAAA-11' }]);
    expect(heard.b).toEqual(heard.a);
    expect(heard.elsewhere).toEqual([]);
    await Promise.all([a, b, elsewhere].map((events) => events.close()));
  });

  it('ignores what is not an event, and listens again when the database ends its connection', async () => {
    const [a, b] = await Promise.all(databases.slice(0, 2).map((db) => createBroadcastHandoffEvents(db, (error) => lost.push(error))));
    const heard: HandoffEvent[] = [];
    b.subscribe((event) => heard.push(event));
    await databases[0].notify('handoff_events', 'not json');
    await databases[0].notify('handoff_events', JSON.stringify({ kind: 'exploded', handoffId: 'CX-1', from: 'x' }));
    // Every listening connection of this deployment (its channel names a digest of the schema) ended, as a failover would.
    const admin = new Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1", [`LISTEN "handoff_events.${createHash('sha256').update(database.schema).digest('hex').slice(0, 20)}"`]);
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await until(() => lost.length > 0);
    // Once listening again (a second or so), what is published is heard as before.
    const deadline = Date.now() + 8000;
    while (heard.length === 0 && Date.now() < deadline) {
      a.publish({ kind: 'message', handoffId: 'CX-BBBB-22' });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(heard[0]).toEqual({ kind: 'message', handoffId: 'CX-BBBB-22' });
    await Promise.all([a.close(), b.close()]);
  });
});
