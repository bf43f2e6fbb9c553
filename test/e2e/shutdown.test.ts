import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore, type StateStore } from '../../src/storage';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory store whose reads wait for `gate` (or for ever), and whose ping can hang. */
function gatedStore(options: { readDelayMs?: number; hangReads?: boolean; hangPing?: boolean }): StateStore {
  const memory = memoryStateStore();
  return {
    ...memory,
    read: async (keys) => {
      if (options.hangReads) await new Promise(() => undefined);
      if (options.readDelayMs) await sleep(options.readDelayMs);
      return memory.read(keys);
    },
    ping: () => (options.hangPing ? new Promise(() => undefined) : memory.ping()),
  };
}

describe('health and shutdown', () => {
  it('/healthz answers 503 within about a second when the store hangs', async () => {
    const app = await createApp(testConfig(), silentLogger, { store: gatedStore({ hangPing: true }), now: () => NOW });
    const { url } = await app.listen();
    try {
      const started = performance.now();
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  });

  it('on shutdown a running turn finishes and is answered; a new one is refused with 503', async () => {
    const connector = await startConnectorStub();
    const app = await createApp(testConfig(), silentLogger, { store: gatedStore({ readDelayMs: 300 }), now: () => NOW });
    const { url } = await app.listen();
    const post = (conversationId: string) =>
      fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text: 'hello', locale: 'en-US' })) });
    try {
      const running = post('running');
      await sleep(100);
      const closing = app.close();
      const refused = await post('late').then((res) => res.status, () => 'connection refused');
      expect([503, 'connection refused']).toContain(refused);
      expect((await running).status).toBe(200);
      await closing;
      expect(connector.textsFor('running').length).toBeGreaterThan(0);
      expect(connector.textsFor('late')).toEqual([]);
    } finally {
      await connector.close();
    }
  });

  it('a turn that never ends does not keep the process from stopping: the drain has a limit', async () => {
    const connector = await startConnectorStub();
    const app = await createApp(testConfig({ shutdownDrainMs: 300 }), silentLogger, { store: gatedStore({ hangReads: true }), now: () => NOW });
    const { url } = await app.listen();
    try {
      void fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, 'stuck', { type: 'message', text: 'hello', locale: 'en-US' })) }).catch(() => undefined);
      await sleep(100);
      const started = performance.now();
      await app.close();
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await connector.close();
    }
  });
});
