// Drives conversations over HTTP the way a channel does: one POST per caller message, the next only after the last
// was answered; a turn counts only when the connector stand-in received at least one reply for it (or, for the bare
// handler, the HTTP answer itself).
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/**
 * POST a JSON body on a kept-alive connection; resolves with the status once the answer has been read. A kept-alive
 * socket the server closed just as it was reused fails at once with ECONNRESET (the request never reached the bot):
 * sent again on a new connection, as Node's documentation advises.
 */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', (error) => (req.reusedSocket && error.code === 'ECONNRESET' ? post(url, body).then(resolve, reject) : reject(error)));
    req.end(body);
  });
}

export function activity(serviceUrl, conversationId, text, turn) {
  return {
    type: 'message',
    id: `${conversationId}-${turn}`,
    channelId: 'webchat',
    serviceUrl,
    conversation: { id: conversationId },
    from: { id: `user-${conversationId}`, name: 'Caller' },
    recipient: { id: 'bot', name: 'Bot' },
    locale: 'sv-SE',
    timestamp: new Date().toISOString(),
    text,
  };
}

/** One turn; resolves with its latency in ms, or throws if the bot did not answer or did not reply. */
export async function turn(target, connector, conversationId, text, index) {
  const before = connector.repliesTo(conversationId);
  const started = performance.now();
  const statusCode = await post(`${target.url}/api/messages`, JSON.stringify(activity(connector.url, conversationId, text, index)));
  const elapsed = performance.now() - started;
  if (statusCode >= 300) throw new Error(`${target.name}: turn ${index} of ${conversationId} answered ${statusCode}`);
  if (target.replies && connector.repliesTo(conversationId) <= before) throw new Error(`${target.name}: turn ${index} of ${conversationId} got no reply`);
  return elapsed;
}

/** Closed loop: `concurrency` conversations at once, each running the whole script, until `conversations` are done. */
export async function closedLoop(target, connector, scripts, concurrency) {
  let next = 0;
  const latencies = [];
  const started = performance.now();
  const worker = async () => {
    while (next < scripts.length) {
      const { id, lines } = scripts[next++];
      for (let i = 0; i < lines.length; i++) latencies.push(await turn(target, connector, id, lines[i], i));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { turns: latencies.length, seconds, turnsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/**
 * Open loop at a fixed offered rate: turn k is due at start + k/rate whatever happened before (no coordinated
 * omission); its latency counts from when it was due. Turns go round-robin over the conversations, each conversation's
 * turns in order (a turn due while its conversation's last one is still open waits, and that wait counts).
 */
export async function openLoop(target, connector, scripts, rate, seconds) {
  const total = Math.round(rate * seconds);
  /** [latency, step of the script] of every turn. */
  const timed = [];
  const queues = scripts.map((script) => ({ ...script, at: 0, busy: Promise.resolve() }));
  const started = performance.now();
  const pending = [];
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const conversation = queues[k % queues.length];
    if (conversation.at >= conversation.lines.length) throw new Error('open loop: not enough conversations for the rate');
    const index = conversation.at++;
    const line = conversation.lines[index];
    const done = conversation.busy.then(() => turn(target, connector, conversation.id, line, index)).then(() => timed.push([performance.now() - due, index]));
    // A failed turn fails the run (Promise.all below), reported as such rather than as an unhandled rejection meanwhile.
    done.catch(() => undefined);
    conversation.busy = done;
    pending.push(done);
  }
  await Promise.all(pending);
  timed.sort((a, b) => a[0] - b[0]);
  const at = (q) => timed[Math.min(timed.length - 1, Math.floor(q * timed.length))][0];
  // The slowest 1 % by the step of the script they were (the steps all conversations reach together queue there).
  const slowestSteps = {};
  for (const [latency, step] of timed) if (latency >= at(0.99)) slowestSteps[step] = (slowestSteps[step] ?? 0) + 1;
  return { offered: rate, turns: timed.length, p50: at(0.5), p99: at(0.99), max: timed.at(-1)[0], slowestSteps };
}
