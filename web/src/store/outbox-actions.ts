/**
 * The ChatStore's outbox: a message typed here is shown at once (state.pending, greyed), its files
 * are uploaded, and it goes over the socket, retried under its clientMsgId until acked (the server
 * stores it once). A refusal leaves it failed, with a reason, to retry or discard.
 */
import { ApiError, newClientMsgId, type Message, type ParleyApi, type ParleyRealtime } from '../../../src/client/index.js';
import { mergeMessages } from './merge.js';
import { applyReplyCreated } from './apply-thread.js';
import { inTimeline, type ChatState, type PendingMessage } from './types.js';
import { t } from '../i18n/index.js';

/** A pending message added at the end of its conversation's outbox. */
export function withPending(s: ChatState, p: PendingMessage): ChatState {
  return { ...s, pending: { ...s.pending, [p.conversationId]: [...(s.pending[p.conversationId] ?? []), p] } };
}

/** A pending message replaced by its newer state (same clientMsgId). */
export function replacedPending(s: ChatState, p: PendingMessage): ChatState {
  return { ...s, pending: { ...s.pending, [p.conversationId]: (s.pending[p.conversationId] ?? []).map((x) => (x.clientMsgId === p.clientMsgId ? p : x)) } };
}

/** A pending message dropped. */
export function withoutPending(s: ChatState, conversationId: string, clientMsgId: string): ChatState {
  return { ...s, pending: { ...s.pending, [conversationId]: (s.pending[conversationId] ?? []).filter((x) => x.clientMsgId !== clientMsgId) } };
}

/**
 * A stored message of ours (an ack or a REST answer): it takes the pending copy's place, in the
 * timeline (or, a thread-only reply, in its thread, which it marks read up to it; its root's
 * summary comes with the event).
 */
export function applyStored(s: ChatState, m: Message): ChatState {
  const id = m.conversationId;
  const t = s.timelines[id];
  const next = {
    ...(m.clientMsgId ? withoutPending(s, id, m.clientMsgId) : s),
    timelines: t && inTimeline(m) ? { ...s.timelines, [id]: { ...t, messages: mergeMessages(t.messages, [m], true) } } : s.timelines,
  };
  return m.threadId ? applyReplyCreated(next, m) : next;
}

/** Why a send failed, for the line under the message. */
export function describeSendError(err: unknown, inThread = false): string {
  if (err instanceof ApiError) {
    // A reply to a thread whose first message was deleted meanwhile.
    if (inThread && err.code === 'conflict') return t('send.threadClosed');
    if (err.code === 'muted') return t('send.muted');
    if (err.code === 'payload_too_large') return t('send.tooLarge');
    if (err.code === 'forbidden' || err.code === 'not_found') return t('send.cannotWrite');
    return err.message;
  }
  return err instanceof Error ? err.message : t('send.notSent');
}

const revokePreviews = (p: PendingMessage | undefined): void => {
  for (const f of p?.files ?? []) if (f.previewUrl) URL.revokeObjectURL(f.previewUrl);
};

export class OutboxActions {
  constructor(
    private readonly api: ParleyApi,
    private readonly realtime: ParleyRealtime,
    private readonly getState: () => ChatState,
    private readonly update: (fn: (s: ChatState) => ChatState) => void,
    /** Told of each new send (the others stop showing "typing" when it arrives). */
    private readonly onSend: (conversationId: string) => void,
  ) {}

  /** Shows the message at once, uploads its files, then sends it over the socket (retried until acked). */
  send(conversationId: string, body: string, replyTo: string | null, files: File[], thread?: { threadId: string; alsoInConversation: boolean }): void {
    const p: PendingMessage = {
      clientMsgId: newClientMsgId(),
      conversationId,
      body,
      replyTo,
      threadId: thread?.threadId ?? null,
      alsoInConversation: thread?.alsoInConversation ?? false,
      files: files.map((file) => ({ file, upload: null, previewUrl: file.type.startsWith('image/') ? URL.createObjectURL(file) : null })),
      createdAt: new Date().toISOString(),
      status: files.length ? 'uploading' : 'sending',
      error: null,
    };
    this.update((s) => withPending(s, p));
    this.onSend(conversationId);
    void this.deliver(p);
  }

  /** Sends a failed message again, under the same clientMsgId (the server stores it once). */
  retry(conversationId: string, clientMsgId: string): void {
    const p = this.find(conversationId, clientMsgId);
    if (!p) return;
    const again = { ...p, status: p.files.some((f) => !f.upload) ? ('uploading' as const) : ('sending' as const), error: null };
    this.update((s) => replacedPending(s, again));
    void this.deliver(again);
  }

  /** Drops a failed message. */
  discard(conversationId: string, clientMsgId: string): void {
    const p = this.find(conversationId, clientMsgId);
    if (!p) return;
    this.realtime.cancel(clientMsgId);
    revokePreviews(p);
    this.update((s) => withoutPending(s, conversationId, clientMsgId));
  }

  /** A stored message of ours (ack or REST answer): it replaces the pending one. */
  stored(m: Message): void {
    if (m.clientMsgId) revokePreviews(this.find(m.conversationId, m.clientMsgId));
    this.update((s) => applyStored(s, m));
  }

  /** Every image preview made for messages not sent yet (the page is going away). */
  revokeAll(): void {
    for (const list of Object.values(this.getState().pending)) for (const p of list) revokePreviews(p);
  }

  private find(conversationId: string, clientMsgId: string): PendingMessage | undefined {
    return this.getState().pending[conversationId]?.find((x) => x.clientMsgId === clientMsgId);
  }

  private async deliver(p: PendingMessage): Promise<void> {
    let cur = p;
    try {
      for (let i = 0; i < cur.files.length; i++) {
        const f = cur.files[i]!;
        if (f.upload) continue;
        const upload = await this.api.upload(f.file, f.file.name);
        cur = { ...cur, files: cur.files.map((x, j) => (j === i ? { ...x, upload } : x)) };
        const uploaded = cur;
        this.update((s) => replacedPending(s, uploaded));
      }
      cur = { ...cur, status: 'sending' };
      const sending = cur;
      this.update((s) => replacedPending(s, sending));
      const attachmentIds = cur.files.map((f) => f.upload!.id);
      const { done } = this.realtime.send(cur.conversationId, cur.body, {
        clientMsgId: cur.clientMsgId,
        replyTo: cur.replyTo,
        ...(attachmentIds.length ? { attachmentIds } : {}),
        ...(cur.threadId ? { threadId: cur.threadId, alsoInConversation: cur.alsoInConversation } : {}),
      });
      this.stored(await done);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'cancelled') return;
      if (!this.find(p.conversationId, p.clientMsgId)) return;
      const failed: PendingMessage = { ...cur, status: 'failed', error: describeSendError(err, cur.threadId !== null) };
      this.update((s) => replacedPending(s, failed));
    }
  }
}
