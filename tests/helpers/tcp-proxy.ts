/**
 * A TCP proxy for fault tests: put it between the app and a server (PostgreSQL, Redis) and
 * choose what the network does. `pass` forwards; `refuse` drops every connection and refuses new
 * ones (a server that is down); `hang` keeps every connection open but forwards nothing, and
 * accepts new ones that never hear back (a hung server, or a network that drops packets).
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'hang';

export interface TcpProxy {
  readonly port: number;
  /** `postgres://…` (or any URL) with host and port replaced by the proxy's. */
  url(target: string): string;
  readonly mode: ProxyMode;
  /** Switches mode; `refuse` destroys the open connections, `hang` freezes them. */
  set(mode: ProxyMode): Promise<void>;
  /** Connections accepted since the start. */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const onConnection = (client: net.Socket) => {
    accepted++;
    const pair: Pair = { client, upstream: null };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (mode === 'hang') return; // accepted, never answered
    const upstream = net.connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    // Forward by hand (not pipe) so `hang` can stop the flow both ways at once.
    client.on('data', (d: Buffer) => {
      if (mode === 'pass') upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (mode === 'pass') client.write(d);
    });
  };

  let server = net.createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    port,
    url(target: string) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    async set(next: ProxyMode) {
      if (next === mode) return;
      const was = mode;
      mode = next;
      if (next === 'refuse') {
        for (const p of [...pairs]) drop(p);
        await closeServer();
      } else if (next === 'hang') {
        // Connections made while hanging never reach the server; existing ones just go quiet.
      } else if (was === 'hang') {
        // Back to pass: bytes were dropped while hanging, so those streams are broken: reset them.
        for (const p of [...pairs]) drop(p);
      }
      if (was === 'refuse') {
        server = net.createServer(onConnection);
        // The same port, so the app's URL holds; retry briefly if the kernel still holds it.
        for (let attempt = 0; ; attempt++) {
          try {
            await listen(port);
            break;
          } catch (err) {
            if (attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
    },
    async close() {
      for (const p of [...pairs]) drop(p);
      if (mode !== 'refuse') await closeServer();
    },
  };
}
