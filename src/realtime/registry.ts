import type { Connection } from './connection.js';

/** The ready connections of this node, by user. */
export class ConnectionRegistry {
  private readonly byUser = new Map<string, Set<Connection>>();
  private count = 0;

  /** Adds a connection; true when it is the user's first on this node. */
  add(conn: Connection): boolean {
    let set = this.byUser.get(conn.userId);
    const first = !set;
    if (!set) {
      set = new Set();
      this.byUser.set(conn.userId, set);
    }
    set.add(conn);
    this.count++;
    return first;
  }

  /** Removes a connection; true when it was the user's last on this node. */
  remove(conn: Connection): boolean {
    const set = this.byUser.get(conn.userId);
    if (!set || !set.delete(conn)) return false;
    this.count--;
    if (set.size === 0) {
      this.byUser.delete(conn.userId);
      return true;
    }
    return false;
  }

  forUser(userId: string): ReadonlySet<Connection> | undefined {
    return this.byUser.get(userId);
  }

  /** The user's connections here that are not closing (a socket closed as slow lingers until its close frame is out). */
  openCount(userId: string): number {
    let n = 0;
    for (const conn of this.byUser.get(userId) ?? []) if (!conn.closed) n++;
    return n;
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  get size(): number {
    return this.count;
  }

  /** Each user with connections here, and those connections. */
  users(): IterableIterator<[string, ReadonlySet<Connection>]> {
    return this.byUser.entries();
  }

  *all(): Iterable<Connection> {
    for (const set of this.byUser.values()) yield* set;
  }
}
