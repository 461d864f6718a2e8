/** What one connection still has to sync: sync frames one at a time, each answered by its sync.done. */
import { MAX_SYNC_CURSORS } from '../protocol/limits.js';

/** The sync frame awaiting its sync.done; `frameId` undefined: the cursors carried by `auth`. */
interface Running {
  frameId: string | undefined;
  ids: string[];
}

/**
 * The sync bookkeeping of one connection: a queue of conversation lists (cursors are read when a
 * frame is written, so a retry resumes from where the client got to), the one frame in flight,
 * and which conversations some queued or running frame covers (a gap in those needs no sync of
 * its own). Syncs go one at a time: the server queues only a few per connection.
 */
export class SyncPlan {
  private running: Running | null = null;
  private readonly queue: string[][] = [];
  private readonly covered = new Map<string, number>();
  /** Conversations the server refused to sync on this connection (`sync.done.skipped`). */
  readonly skipped: string[] = [];

  /**
   * Plans the sync of every followed conversation at connect: returns the ones that go in the
   * `auth` frame (at most MAX_SYNC_CURSORS); the rest are queued for `sync` frames.
   */
  begin(ids: string[]): string[] {
    const first = ids.slice(0, MAX_SYNC_CURSORS);
    for (let i = MAX_SYNC_CURSORS; i < ids.length; i += MAX_SYNC_CURSORS) this.add(ids.slice(i, i + MAX_SYNC_CURSORS));
    if (first.length > 0) {
      this.cover(first);
      this.running = { frameId: undefined, ids: first };
    }
    return first;
  }

  /** Queues a sync of these conversations. */
  add(ids: string[]): void {
    this.cover(ids);
    this.queue.push(ids);
  }

  /** True when a queued or running sync includes the conversation. */
  covers(conversationId: string): boolean {
    return this.covered.has(conversationId);
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.running === null && this.queue.length === 0;
  }

  /** A frame may be written now: none in flight, some queued. */
  get ready(): boolean {
    return this.running === null && this.queue.length > 0;
  }

  /**
   * The cursors of the next sync frame (queued lists merged up to MAX_SYNC_CURSORS), which
   * becomes the running one under `frameId`. Conversations no longer followed (`cursorOf`
   * undefined) are left out. Null when nothing is left to send.
   */
  next(frameId: string, cursorOf: (id: string) => number | undefined): Record<string, number> | null {
    while (this.ready) {
      const ids: string[] = [];
      do ids.push(...this.queue.shift()!);
      while (this.queue.length > 0 && ids.length + this.queue[0]!.length <= MAX_SYNC_CURSORS);
      const cursors: Record<string, number> = {};
      const live: string[] = [];
      const dropped: string[] = [];
      for (const id of ids) {
        const c = cursorOf(id);
        // Not followed any more, or twice in the merged lists: one cursor, one count.
        if (c === undefined || Object.hasOwn(cursors, id)) dropped.push(id);
        else {
          cursors[id] = c;
          live.push(id);
        }
      }
      this.uncover(dropped);
      if (live.length === 0) continue;
      this.running = { frameId, ids: live };
      return cursors;
    }
    return null;
  }

  /** True when `frameId` is the sync in flight (undefined: the auth frame's). */
  isRunning(frameId: string | number | undefined): boolean {
    return this.running !== null && this.running.frameId === (frameId === undefined ? undefined : String(frameId));
  }

  /** The running frame is sent again later, from the cursors of that time (it was refused for now, or maybe dropped). */
  retryRunning(): void {
    if (!this.running) return;
    this.queue.unshift(this.running.ids);
    this.running = null;
  }

  /**
   * The running frame's sync.done. With `hasMore` its conversations are synced again (the server
   * holds them until then); `skipped` ones are dropped. Returns the conversations no sync covers
   * any more: any gap left in them will not be filled by the server.
   */
  done(hasMore: boolean, skipped: string[], isFollowed: (id: string) => boolean): string[] {
    const running = this.running;
    if (!running) return [];
    this.running = null;
    this.skipped.push(...skipped);
    if (!hasMore) return this.uncover(running.ids);
    const again = running.ids.filter((id) => !skipped.includes(id) && isFollowed(id));
    if (again.length > 0) this.queue.unshift(again);
    this.uncover(running.ids.filter((id) => !again.includes(id)));
    return [];
  }

  /** The running frame was refused for good: returns the conversations no sync covers any more. */
  fail(): string[] {
    const running = this.running;
    this.running = null;
    return running ? this.uncover(running.ids) : [];
  }

  private cover(ids: string[]): void {
    for (const id of ids) this.covered.set(id, (this.covered.get(id) ?? 0) + 1);
  }

  /** Returns the ids whose count dropped to zero. */
  private uncover(ids: string[]): string[] {
    const free: string[] = [];
    for (const id of ids) {
      const left = (this.covered.get(id) ?? 1) - 1;
      if (left > 0) this.covered.set(id, left);
      else {
        this.covered.delete(id);
        free.push(id);
      }
    }
    return free;
  }
}
