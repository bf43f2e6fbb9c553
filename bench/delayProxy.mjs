// A database on another host, on loopback: `node bench/delayProxy.mjs <listen port> <target port>` forwards TCP to
// 127.0.0.1:<target port> and holds every chunk DELAY_MS (default 1) each way, in order — a round trip then costs
// about 2 ms more, as between availability zones. For `compare.mjs` with DATABASE_URL pointed at the listen port.
import net from 'node:net';

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
if (!listenPort || !targetPort) {
  console.error('usage: node bench/delayProxy.mjs <listen port> <target port>');
  process.exit(2);
}
const DELAY_MS = Number(process.env.DELAY_MS ?? 1);

/** Timers of one length fire in the order they were set: the stream's bytes stay in order. */
const forward = (from, to) => from.on('data', (chunk) => setTimeout(() => to.write(chunk), DELAY_MS));

net
  .createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    client.setNoDelay(true);
    server.setNoDelay(true);
    forward(client, server);
    forward(server, client);
    const end = () => {
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) socket.on('error', end).on('close', end);
  })
  .listen(listenPort, '127.0.0.1', () => console.log(`127.0.0.1:${listenPort} → 127.0.0.1:${targetPort}, ${DELAY_MS} ms each way`));
