/** Sends waiting for their ack: kept across reconnects and re-sent with the same clientMsgId. */
import type { Message } from '../protocol/entities.js';
import { ApiError } from './errors.js';
import { newClientMsgId } from './ids.js';
import type { PendingSend, SendHandle, SendOptions } from './types.js';

interface Entry {
  key: string;
  info: PendingSend;
  handle: SendHandle;
  resolve(message: Message): void;
  reject(error: ApiError): void;
  /** Written on the current connection, ack not yet received. */
  inFlight: boolean;
  sentAt: number;
  /** Not to be written before this time (a retryable refusal). */
  retryAt: number;
  frameIds: string[];
}

const keyOf = (conversationId: string, clientMsgId: string) => `${conversationId}\u0000${clientMsgId}`;

/** Delay before retrying a send refused with a retryable code, by attempt: 1 s, 2 s, 4 s ... 30 s. */
const retryDelay = (attempts: number) => Math.min(30_000, 1000 * 2 ** Math.max(0, attempts - 1));

export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private readonly byFrame = new Map<string, string>();

  /** Queues a send; a send already pending with the same conversation and clientMsgId is returned as is. */
  add(conversationId: string, body: string, opts: SendOptions, now: number): SendHandle {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const key = keyOf(conversationId, clientMsgId);
    const existing = this.entries.get(key);
    if (existing) return existing.handle;
    let resolve!: (m: Message) => void;
    let reject!: (e: ApiError) => void;
    const done = new Promise<Message>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that only watches events need not handle `done`: no unhandled rejection for it.
    done.catch(() => undefined);
    const entry: Entry = {
      key,
      info: {
        conversationId,
        clientMsgId,
        body,
        replyTo: opts.replyTo ?? null,
        attachmentIds: opts.attachmentIds ?? [],
        threadId: opts.threadId ?? null,
        alsoInConversation: (opts.threadId ?? null) !== null && (opts.alsoInConversation ?? false),
        createdAt: now,
        attempts: 0,
        lastError: null,
      },
      handle: { clientMsgId, done },
      resolve,
      reject,
      inFlight: false,
      sentAt: 0,
      retryAt: 0,
      frameIds: [],
    };
    this.entries.set(key, entry);
    return entry.handle;
  }

  list(conversationId?: string): PendingSend[] {
    const out: PendingSend[] = [];
    for (const e of this.entries.values()) {
      if (conversationId === undefined || e.info.conversationId === conversationId) out.push({ ...e.info, attachmentIds: [...e.info.attachmentIds] });
    }
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries to write now, oldest first, keeping at most `maxInFlight` in flight. */
  due(now: number, maxInFlight: number): PendingSend[] {
    let inFlight = 0;
    for (const e of this.entries.values()) if (e.inFlight) inFlight++;
    const out: PendingSend[] = [];
    for (const e of this.entries.values()) {
      if (inFlight + out.length >= maxInFlight) break;
      if (!e.inFlight && e.retryAt <= now) out.push(e.info);
    }
    return out;
  }

  markSent(info: PendingSend, frameId: string, now: number): void {
    const e = this.entries.get(keyOf(info.conversationId, info.clientMsgId));
    if (!e) return;
    e.inFlight = true;
    e.sentAt = now;
    e.info.attempts++;
    e.frameIds.push(frameId);
    this.byFrame.set(frameId, e.key);
  }

  /** Resolves the send an ack answers (by frame id, else by the message's own keys). */
  ack(frameId: string | number | undefined, message: Message): PendingSend | null {
    const byId = frameId === undefined ? undefined : this.byFrame.get(String(frameId));
    const key = byId ?? (message.clientMsgId ? keyOf(message.conversationId, message.clientMsgId) : undefined);
    const e = key === undefined ? undefined : this.entries.get(key);
    if (!e) return null;
    this.remove(e);
    e.resolve(message);
    return e.info;
  }

  /** True when the frame id belongs to a send of this outbox. */
  owns(frameId: string | number): boolean {
    return this.byFrame.has(String(frameId));
  }

  /**
   * An error frame answering a send: a retryable code waits and retries; any other rejects the
   * send. Returns the send and whether it is finished.
   */
  error(frameId: string | number, error: ApiError, now: number): { info: PendingSend; final: boolean } | null {
    const key = this.byFrame.get(String(frameId));
    const e = key === undefined ? undefined : this.entries.get(key);
    if (!e) return null;
    if (error.retryable) {
      e.inFlight = false;
      e.info.lastError = error;
      e.retryAt = now + retryDelay(e.info.attempts);
      return { info: e.info, final: false };
    }
    this.remove(e);
    e.reject(error);
    return { info: e.info, final: true };
  }

  /** Rejects one send; true if it was pending. */
  cancel(clientMsgId: string, conversationId: string | undefined, error: ApiError): boolean {
    for (const e of this.entries.values()) {
      if (e.info.clientMsgId !== clientMsgId) continue;
      if (conversationId !== undefined && e.info.conversationId !== conversationId) continue;
      this.remove(e);
      e.reject(error);
      return true;
    }
    return false;
  }

  rejectAll(error: ApiError): void {
    for (const e of [...this.entries.values()]) {
      this.remove(e);
      e.reject(error);
    }
  }

  /** The connection is gone: every in-flight send is written again on the next one. */
  disconnected(): void {
    for (const e of this.entries.values()) {
      e.inFlight = false;
      e.retryAt = 0;
    }
  }

  /** Sends in flight longer than `timeoutMs` (their ack may be lost): written again, same clientMsgId. */
  expire(now: number, timeoutMs: number): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.inFlight && now - e.sentAt >= timeoutMs) {
        e.inFlight = false;
        n++;
      }
    }
    return n;
  }

  /** Every in-flight send is written again after `delayMs` (a frame was dropped, we cannot tell which). */
  retryInFlight(now: number, delayMs: number): void {
    for (const e of this.entries.values()) {
      if (!e.inFlight) continue;
      e.inFlight = false;
      e.retryAt = now + delayMs;
    }
  }

  /** The next time something here needs attention (a retry or an ack timeout), or null. */
  nextWake(ackTimeoutMs: number): number | null {
    let next: number | null = null;
    for (const e of this.entries.values()) {
      const t = e.inFlight ? e.sentAt + ackTimeoutMs : e.retryAt;
      if (next === null || t < next) next = t;
    }
    return next;
  }

  private remove(e: Entry): void {
    this.entries.delete(e.key);
    for (const id of e.frameIds) this.byFrame.delete(id);
  }
}
