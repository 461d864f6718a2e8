/**
 * Link previews (docs/protocol.md, "Link previews"): after a message with links is stored and
 * acknowledged, it is queued (durably, in the database); every node's worker takes queued
 * messages, fetches a preview of each of their first links (once per URL for all nodes: the
 * cache in `link_previews`), stores them with the message and publishes `message.updated`.
 * The sender may remove previews; a site admin may turn previews off.
 */
import { conflict, forbidden, badRequest, notFound } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import { inTransaction, Rollback, type Repositories } from '../../db/repositories/index.js';
import type { ClaimedPreviewJob, FetchedPreview, LinkPreviewRow } from '../../db/repositories/link-previews.repository.js';
import type { MessageRow } from '../../db/repositories/messages.repository.js';
import type { StoredLinkPreview } from '../../db/schema.js';
import type { Message, MessageShared } from '../../protocol/entities.js';
import type { ConversationEvent } from '../../protocol/events.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Readable } from 'node:stream';
import { loadVisibleMessage } from '../shared/access.js';
import { appendEvent, type EventPublisher } from '../shared/events.js';
import type { Actor } from '../identity/identity.js';
import { extractLinks, hasLink, normalizeLink, PREVIEW_IMAGE_KEY, PreviewFetcher, PreviewFetchError, previewImageBlobKey, type PreviewFetchLimits, type TargetResolver } from './link-preview-fetch.js';
import type { MessagePresenter } from '../shared/presenters.js';
import { QueueWorker, retryDelayMs } from '../shared/queue-worker.js';
import type { SiteSettingsService } from '../identity/site-settings.service.js';
import type { MessageCreatedHook } from '../integrations/webhooks.service.js';
import { resolveWebhookTarget } from '../integrations/webhook-guard.js';

export interface LinkPreviewOptions extends PreviewFetchLimits {
  /** Fetch from loopback and private addresses (WEBHOOK_ALLOW_PRIVATE=on, as webhooks). */
  allowPrivate: boolean;
  /** The guard: where a URL may lead. Defaults to the webhooks' guard with `allowPrivate`. */
  resolveTarget?: TargetResolver;
  /** Links of one message that get previews (the first ones). */
  maxLinks: number;
  /** How long a fetched preview is used for every message linking to the same URL. */
  ttlMs: number;
  /** How long a failed fetch is remembered (no preview, no new fetch) for that URL. */
  failureTtlMs: number;
  /** How often the queue is polled when nothing kicks it. */
  pollIntervalMs: number;
  /** Messages worked on at once on this node. */
  concurrency: number;
  /** How long a claim of a job, or of a URL being fetched, lasts: past it another node may take it. */
  leaseMs: number;
  /** Waits before retrying a job that failed (a database error); after the last it is dropped. */
  retryDelaysMs: readonly number[];
  /** Wait before looking again at a URL another node is fetching. */
  busyRetryMs: number;
  /** The User-Agent of fetches. */
  userAgent: string;
}

/** Links of one message that get previews (the first ones). */
export const MAX_PREVIEW_LINKS = 3;

/** What the message path tells link previews: never throwing, never waiting. */
export interface LinkPreviewHook extends MessageCreatedHook {
  /** A message was edited and has no previews yet: its links (maybe new) get them. */
  onMessageEdited(conversationId: string, message: MessageShared): void;
}

export const DEFAULT_LINK_PREVIEW_OPTIONS: LinkPreviewOptions = {
  allowPrivate: false,
  timeoutMs: 5_000,
  htmlMaxBytes: 512 * 1024,
  imageMaxBytes: 5 * 1024 * 1024,
  maxRedirects: 3,
  imagePx: 600,
  maxLinks: MAX_PREVIEW_LINKS,
  ttlMs: 24 * 60 * 60 * 1000,
  failureTtlMs: 60 * 60 * 1000,
  pollIntervalMs: 1_000,
  concurrency: 8,
  leaseMs: 60_000,
  retryDelaysMs: [5_000, 30_000, 120_000],
  busyRetryMs: 1_000,
  userAgent: 'Parley-LinkPreview/1',
};

/** Looks for another node's result this many times before giving up on a URL it holds. */
const BUSY_LOOKS = 20;
/** Messages queued by one statement at most. */
const ENQUEUE_BATCH = 500;
/** How long `stop()` waits for enqueues in flight. */
const STOP_WAIT_MS = 5_000;
/** Expired cache entries are deleted this long after they expire, a batch per sweep. */
const SWEEP_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
const SWEEP_BATCH = 1_000;

type Lookup = StoredLinkPreview | null | 'busy';

function messageUpdated(event: { conversationId: string; seq: number; createdAt: Date }, message: MessageShared): ConversationEvent {
  return { type: 'message.updated', conversationId: event.conversationId, seq: event.seq, createdAt: event.createdAt.toISOString(), message };
}

export class LinkPreviewsService implements LinkPreviewHook {
  private readonly options: LinkPreviewOptions;
  private readonly fetcher: PreviewFetcher;
  private readonly worker: QueueWorker<ClaimedPreviewJob>;
  /** Fetches running on this node, by URL: a second message with the link waits for the first. */
  private readonly fetching = new Map<string, Promise<LinkPreviewRow | null>>();
  private readonly enqueues = new Set<Promise<void>>();
  /** Messages to queue in the next statement (enqueueSoon). */
  private readonly toEnqueue: { messageId: string; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'linkPreviews' | 'members' | 'messages'>,
    private readonly publisher: EventPublisher,
    private readonly view: MessagePresenter,
    private readonly settings: Pick<SiteSettingsService, 'get'>,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    options: Partial<LinkPreviewOptions> = {},
  ) {
    this.options = { ...DEFAULT_LINK_PREVIEW_OPTIONS, ...options };
    const allowPrivate = this.options.allowPrivate;
    const resolve: TargetResolver =
      this.options.resolveTarget ?? (async (url, timeoutMs) => (await resolveWebhookTarget(url, allowPrivate, timeoutMs))[0]!);
    this.fetcher = new PreviewFetcher(resolve, blobs, this.options, this.options.userAgent);
    this.worker = new QueueWorker(
      'link preview',
      {
        claim: (n) => this.repos.linkPreviews.claimDue(n, this.options.leaseMs),
        release: (job) => this.repos.linkPreviews.release(job.messageId),
        deliver: (job, signal) => this.work(job, signal),
        describe: (job) => ({ messageId: job.messageId }),
      },
      this.options,
      logger,
    );
  }

  start(): void {
    this.worker.start();
  }

  /** Waits (a while) for the enqueues in flight, then stops the worker; jobs in flight go back to the queue. */
  async stop(): Promise<void> {
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.enqueues.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.enqueues]), new Promise((r) => setTimeout(r, deadline - Date.now()))]);
    }
    await this.worker.stop();
  }

  /**
   * Queues a new message with links for previews, in the background: it returns at once and
   * never throws into the send path (the sender has their ack already or gets it now).
   */
  onMessageCreated(conversationId: string, event: ConversationEvent): void {
    if (event.type === 'message.created') this.queue(conversationId, event.message);
  }

  onMessageEdited(conversationId: string, message: MessageShared): void {
    this.queue(conversationId, message);
  }

  /** Queues a message whose body has links, in the background (see onMessageCreated). */
  private queue(conversationId: string, message: Pick<Message, 'id' | 'body'>): void {
    if (!hasLink(message.body)) return;
    const messageId = message.id;
    const job: Promise<void> = (async () => {
      if (extractLinks(message.body, 1).length === 0) return;
      if (!(await this.settings.get()).linkPreviews) return;
      await this.enqueueSoon(messageId);
      this.worker.kick();
    })()
      .catch((err: unknown) => this.logger.error({ err, conversationId, messageId }, 'queueing link previews failed'))
      .finally(() => this.enqueues.delete(job));
    this.enqueues.add(job);
  }

  /**
   * Queues a message with the others queued in the same turn of the event loop, in one statement:
   * a group commit stores many sends at once, and one INSERT each would compete with the next
   * batch of sends for the database (PGlite has one connection).
   */
  private enqueueSoon(messageId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.toEnqueue.push({ messageId, resolve, reject });
      if (this.toEnqueue.length === 1) setImmediate(() => void this.enqueueBatch());
    });
  }

  private async enqueueBatch(): Promise<void> {
    const batch = this.toEnqueue.splice(0, ENQUEUE_BATCH);
    if (this.toEnqueue.length > 0) setImmediate(() => void this.enqueueBatch());
    try {
      await this.repos.linkPreviews.enqueue(batch.map((b) => b.messageId));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /** One queued message: previews of its first links, stored and announced; then the job leaves the queue. */
  private async work(job: ClaimedPreviewJob, signal: AbortSignal): Promise<void> {
    const queue = this.repos.linkPreviews;
    try {
      const row = await this.repos.messages.findById(job.messageId);
      // Deleted, previews removed or made already, or previews turned off since: nothing to do.
      if (!row || row.deletedAt || row.previews !== null || !(await this.settings.get()).linkPreviews) {
        await queue.complete(job.messageId);
        return;
      }
      const found: StoredLinkPreview[] = [];
      let busy = false;
      for (const url of extractLinks(row.body, this.options.maxLinks)) {
        const preview = await this.lookup(url, signal);
        if (preview === 'busy') busy = true;
        else if (preview) found.push(preview);
      }
      if (signal.aborted) {
        await queue.release(job.messageId);
        return;
      }
      // Another node is fetching one of the links: its result is shared; look again shortly.
      if (busy && job.attempts < BUSY_LOOKS) {
        await queue.reschedule(job.messageId, this.options.busyRetryMs);
        return;
      }
      if (found.length > 0) await this.store(row, found);
      await queue.complete(job.messageId);
    } catch (err) {
      if (signal.aborted) {
        await queue.release(job.messageId);
        return;
      }
      const delay = retryDelayMs(this.options.retryDelaysMs, job.attempts);
      this.logger.warn({ err, messageId: job.messageId, attempt: job.attempts, retryInMs: delay }, 'link previews failed');
      if (delay === null) await queue.complete(job.messageId);
      else await queue.reschedule(job.messageId, delay);
    }
  }

  /** The preview of a URL: from the shared cache, or fetched now (and cached); 'busy' while another node fetches it. */
  private async lookup(url: string, signal: AbortSignal): Promise<Lookup> {
    let entry = await this.repos.linkPreviews.find(url);
    if (!entry || entry.expiresAt.getTime() <= Date.now()) {
      const running = this.fetching.get(url);
      if (running) {
        entry = await running;
      } else if (await this.repos.linkPreviews.claimFetch(url, this.options.leaseMs)) {
        const fetch = this.fetch(url, signal).finally(() => this.fetching.delete(url));
        this.fetching.set(url, fetch);
        entry = await fetch;
      } else {
        entry = await this.repos.linkPreviews.find(url);
        if (!entry || entry.expiresAt.getTime() <= Date.now()) return 'busy';
      }
    }
    if (!entry?.ok) return null;
    return {
      url,
      title: entry.title,
      description: entry.description,
      siteName: entry.siteName,
      image: entry.imageKey && entry.imageWidth && entry.imageHeight ? { key: entry.imageKey, width: entry.imageWidth, height: entry.imageHeight } : null,
    };
  }

  /** Fetches a URL this node has claimed and records the outcome (a failure too) for every node. */
  private async fetch(url: string, signal: AbortSignal): Promise<LinkPreviewRow | null> {
    let result: FetchedPreview;
    try {
      const meta = await this.fetcher.page(new URL(url), signal);
      let image: { key: string; width: number; height: number } | null = null;
      if (meta.imageUrl) {
        try {
          image = await this.fetcher.image(meta.imageUrl, signal);
        } catch (err) {
          if (signal.aborted) throw err;
          // A preview without its picture is still a preview.
          this.logger.debug({ url, reason: err instanceof PreviewFetchError ? err.message : String(err) }, 'link preview image not taken');
        }
      }
      result =
        meta.title || meta.description || image
          ? { ok: true, title: meta.title, description: meta.description, siteName: meta.siteName, image }
          : { ok: false, error: 'the page has no title, description or image' };
    } catch (err) {
      if (signal.aborted) {
        await this.repos.linkPreviews.releaseFetch(url);
        throw err;
      }
      if (!(err instanceof PreviewFetchError)) throw err;
      result = { ok: false, error: err.message };
      this.logger.debug({ url, reason: err.message }, 'no link preview');
    }
    return this.repos.linkPreviews.storeResult(url, result, result.ok ? this.options.ttlMs : this.options.failureTtlMs);
  }

  /** Stores a message's previews (unless removed or deleted meanwhile) under a new seq and publishes message.updated. */
  private async store(row: MessageRow, previews: StoredLinkPreview[]): Promise<void> {
    const done = await inTransaction<{ row: MessageRow; event: { conversationId: string; seq: number; createdAt: Date } } | null, null>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(row.conversationId);
      if (seq === null) return null;
      const updated = await tx.linkPreviews.setPreviews(row.id, previews);
      if (!updated) throw new Rollback(null); // deleted or removed meanwhile: give the seq back
      const event = await appendEvent(tx, row.conversationId, 'message.updated', { seq, messageId: row.id });
      return { row: updated, event: event! };
    });
    if (!done) return;
    const message = await this.view.presentSharedOne(done.row);
    await this.publisher.publishEvents(row.conversationId, [messageUpdated(done.event, message)]);
    this.logger.debug({ messageId: row.id, previews: previews.length }, 'link previews stored');
  }

  /**
   * The sender removes one preview of their message (`url`), or all of them: a `message.updated`
   * follows (without `editedAt`), and removed previews are never fetched again for it. Removing
   * before the previews came stops them coming.
   */
  async remove(actor: Actor, messageId: string, rawUrl?: string): Promise<void> {
    const { row } = await loadVisibleMessage(this.repos, actor.user.id, messageId);
    if (row.senderId !== actor.user.id) throw forbidden("only the sender may remove a message's previews");
    if (row.deletedAt) throw conflict('the message was deleted');
    let url: string | null = null;
    if (rawUrl !== undefined) {
      url = normalizeLink(rawUrl);
      if (!url) throw badRequest('url must be an http or https URL', { field: 'url' });
    }
    const done = await inTransaction(this.db, async (tx) => {
      // The conversation's lock first, as every seq-taking change: the job storing previews
      // (which takes a seq under it) is before or after this, never in between.
      if (!(await tx.conversations.lock(row.conversationId))) throw notFound('message');
      const current = (await tx.messages.findById(row.id))?.previews ?? null;
      if (url !== null && !(current ?? []).some((p) => p.url === url)) throw notFound('preview');
      const next = url === null ? [] : current!.filter((p) => p.url !== url);
      const updated = await tx.linkPreviews.replacePreviews(row.id, next);
      if (!updated) throw conflict('the message was deleted');
      await tx.linkPreviews.complete(row.id);
      // No previews yet: nothing shown changes, so no event; the `[]` stops them coming.
      if (!current || current.length === 0) return null;
      const event = await appendEvent(tx, row.conversationId, 'message.updated', { messageId: row.id });
      if (!event) throw notFound('message');
      return { row: updated, event };
    });
    if (!done) return;
    const message = await this.view.presentSharedOne(done.row);
    await this.publisher.publishEvents(row.conversationId, [messageUpdated(done.event, message)]);
  }

  /** A preview image for a holder of its signed URL (404 otherwise, as uploads). */
  async openImage(key: string, expires: string | undefined, sig: string | undefined): Promise<Readable> {
    if (!PREVIEW_IMAGE_KEY.test(key) || !this.view.previewImages.verify(key, 'file', expires, sig)) throw notFound('image');
    const stream = await this.blobs.read(previewImageBlobKey(key));
    if (!stream) throw notFound('image');
    return stream;
  }

  /** Deletes cache entries long expired (hourly, on every node). */
  async sweep(): Promise<number> {
    return this.repos.linkPreviews.sweepExpired(SWEEP_GRACE_MS, SWEEP_BATCH);
  }

  /** Waits until no enqueue is in flight (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.enqueues.size > 0) await Promise.allSettled([...this.enqueues]);
  }
}
