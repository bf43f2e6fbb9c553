import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'down' | 'hang';

export interface TcpProxy {
  /** The loopback port to connect to instead of the target's. */
  readonly port: number;
  readonly mode: ProxyMode;
  /** An outage: every open connection is reset, and new ones are accepted and reset at once (fails fast, like a refused port). */
  down(): void;
  /** A stalled network: open connections stop forwarding, new ones are accepted and never forwarded; nothing is closed. */
  hang(): void;
  /** Forwards again. Connections stalled by hang() are reset (their peers have long given up on them); new ones are forwarded. */
  up(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetHost:targetPort`, for simulating an outage of a server that cannot
 * itself be stopped (the shared test PostgreSQL). It listens on its own port the whole time, so the port stays the same
 * across down()/up().
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'up';
  /** Every socket the proxy holds: client sides and target sides. */
  const open = new Set<Socket>();
  /** Sockets whose traffic is frozen by hang(). */
  const stalled = new Set<Socket>();

  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      stalled.delete(socket);
    });
    // A reset is how this proxy ends connections: never an uncaught error.
    socket.on('error', () => undefined);
  };
  const resetAll = (sockets: Iterable<Socket>) => {
    for (const socket of [...sockets]) socket.resetAndDestroy();
  };
  const stall = (socket: Socket) => {
    stalled.add(socket);
    // No more reads or forwarding: what the peer sends sits in kernel buffers, as on a network that stopped delivering.
    socket.unpipe();
    socket.pause();
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'hang') {
      stall(client); // accepted, never forwarded: the peer waits for an answer that does not come
      return;
    }
    const target = connect(targetPort, targetHost);
    track(target);
    // One side closing or failing ends the other; pipe() forwards both ways with backpressure.
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
    client.pipe(target);
    target.pipe(client);
    client.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    get mode() {
      return mode;
    },
    down() {
      mode = 'down';
      resetAll(open);
    },
    hang() {
      mode = 'hang';
      for (const socket of open) stall(socket);
    },
    up() {
      mode = 'up';
      resetAll(stalled);
    },
    close: () =>
      new Promise<void>((resolve) => {
        resetAll(open);
        server.close(() => resolve());
      }),
  };
}
