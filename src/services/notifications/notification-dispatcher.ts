/**
 * Sends queued notifications (Web Push and e-mail digests) through a QueueWorker, as the webhook
 * dispatcher does for webhooks, and records each outcome. Success deletes the row; a
 * failure worth retrying (a push service's 429 or 5xx, a network error, an SMTP refusal) is
 * retried with back-off, and after the last retry the delivery is dropped. A push service's 404
 * or 410 means the subscription is gone: it is deleted at once. No transaction is open while a
 * request is in flight.
 */
import type { Logger } from '../../core/logger.js';
import type { ClaimedNotification, NotificationsRepository } from '../../db/repositories/notifications.repository.js';
import type { Mailer } from './mailer.js';
import { withEditedBody } from './notification-content.js';
import { sendPush, type VapidKeys } from './push-sender.js';
import { QueueWorker, retryDelayMs } from '../shared/queue-worker.js';

export interface NotificationOptions {
  /** Push to loopback and private addresses, and over plain http (PUSH_ALLOW_PRIVATE=on; tests). */
  allowPrivate: boolean;
  /** How often the queue is polled when nothing kicks it. */
  pollIntervalMs: number;
  /** Deliveries in flight at once on this node. */
  concurrency: number;
  /** Time box of one push request or one e-mail. */
  requestTimeoutMs: number;
  /** How long a claim lasts: past it another node may take the delivery. */
  leaseMs: number;
  /** Waits before each retry; after the last one fails the delivery is given up. Each is jittered ±20%. */
  retryDelaysMs: readonly number[];
  /** Seconds a push service keeps a push for a device that is off. */
  pushTtlSeconds: number;
  /** How often each node looks for users due an e-mail digest. */
  digestIntervalMs: number;
}

export const DEFAULT_NOTIFICATION_OPTIONS: NotificationOptions = {
  allowPrivate: false,
  pollIntervalMs: 1_000,
  concurrency: 8,
  requestTimeoutMs: 10_000,
  leaseMs: 60_000,
  retryDelaysMs: [5_000, 30_000, 120_000, 600_000, 1_800_000],
  pushTtlSeconds: 24 * 60 * 60,
  digestIntervalMs: 60_000,
};

type Outcome = 'sent' | 'gone' | 'retry' | 'give-up' | 'stopped';

export class NotificationDispatcher {
  private readonly worker: QueueWorker<ClaimedNotification>;

  constructor(
    private readonly repo: NotificationsRepository,
    private readonly vapid: () => Promise<VapidKeys>,
    private readonly mailer: Mailer | undefined,
    private readonly logger: Logger,
    private readonly options: NotificationOptions,
  ) {
    this.worker = new QueueWorker(
      'notification',
      {
        claim: (n) => this.repo.claimDue(n, this.options.leaseMs),
        release: (d) => this.repo.release(d.id),
        deliver: (d, signal) => this.deliver(d, signal),
        describe: (d) => ({ deliveryId: d.id }),
      },
      options,
      logger,
    );
  }

  start(): void {
    this.worker.start();
  }

  /** Stops polling, aborts the sends in flight and hands their claims back for the next node. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Looks at the queue soon (after a local enqueue, or a delivery finishing). */
  kick(): void {
    this.worker.kick();
  }

  private async deliver(d: ClaimedNotification, signal: AbortSignal): Promise<void> {
    const log = this.logger.child({ deliveryId: d.id, channel: d.channel, attempt: d.attempts });
    const { outcome, retryAfterMs } = d.channel === 'push' ? await this.push(d, signal, log) : await this.email(d, signal, log);
    switch (outcome) {
      case 'stopped':
        // Not the receiver's fault: the next node (or this one after a restart) tries again.
        return this.repo.release(d.id);
      case 'sent':
        return this.repo.complete(d.id);
      case 'gone':
        // The subscription ended (404/410): it goes, with every push queued for it.
        log.info({ subscriptionId: d.subscriptionId }, 'push subscription expired; removed');
        return this.repo.dropSubscription(d.subscriptionId!);
      case 'give-up':
        return this.repo.complete(d.id);
      case 'retry': {
        const base = retryDelayMs(this.options.retryDelaysMs, d.attempts);
        if (base !== null) {
          const delay = Math.max(base, Math.min(retryAfterMs ?? 0, 3_600_000));
          log.info({ retryInMs: Math.round(delay) }, 'notification delivery failed; will retry');
          return this.repo.reschedule(d.id, delay);
        }
        log.warn('notification delivery given up after its last retry');
        if (d.subscriptionId) await this.repo.subscriptionFailed(d.subscriptionId);
        return this.repo.complete(d.id);
      }
    }
  }

  private async push(d: ClaimedNotification, signal: AbortSignal, log: Logger): Promise<{ outcome: Outcome; retryAfterMs?: number | null }> {
    if (!d.endpoint || !d.p256dh || !d.auth || !d.subscriptionId) return { outcome: 'give-up' };
    const p = d.payload as { notification?: unknown; urgency?: string; topic?: string };
    const queued = (p.notification ?? {}) as Record<string, unknown>;
    const notification = d.editedBody === null ? queued : withEditedBody(queued, d.editedBody);
    const result = await sendPush({ endpoint: d.endpoint, p256dh: d.p256dh, auth: d.auth }, JSON.stringify(notification), await this.vapid(), {
      ttl: this.options.pushTtlSeconds,
      urgency: p.urgency === 'high' ? 'high' : 'normal',
      topic: typeof p.topic === 'string' ? p.topic : undefined,
      allowPrivate: this.options.allowPrivate,
      signal,
      timeoutMs: this.options.requestTimeoutMs,
    });
    if ('error' in result) {
      if (signal.aborted) return { outcome: 'stopped' };
      const e = result.error as { code?: unknown; name?: string; message?: string };
      // A refused target (the guard) or a key web-push cannot use will not get better.
      if (e.name === 'WebhookTargetError' || !('code' in e)) {
        log.warn({ err: result.error }, 'push refused before sending; dropped');
        return { outcome: 'give-up' };
      }
      log.debug({ err: result.error }, 'push attempt failed');
      return { outcome: 'retry' };
    }
    const { status } = result;
    if (status >= 200 && status < 300) {
      await this.repo.subscriptionSucceeded(d.subscriptionId);
      log.debug({ status }, 'push delivered');
      return { outcome: 'sent' };
    }
    if (status === 404 || status === 410) return { outcome: 'gone' };
    if (status === 429 || status >= 500) return { outcome: 'retry', retryAfterMs: result.retryAfterMs };
    // 400, 401, 403, 413...: the request itself was refused; trying it again would not help.
    log.warn({ status }, 'push refused by the push service; dropped');
    await this.repo.subscriptionFailed(d.subscriptionId);
    return { outcome: 'give-up' };
  }

  private async email(d: ClaimedNotification, signal: AbortSignal, log: Logger): Promise<{ outcome: Outcome; retryAfterMs?: number | null }> {
    if (!this.mailer?.enabled) return { outcome: 'retry' };
    const mail = d.payload as { to?: string; subject?: string; text?: string; html?: string };
    if (!mail.to || !mail.subject || !mail.text) return { outcome: 'give-up' };
    try {
      await Promise.race([
        this.mailer.send({ to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) }),
        new Promise((_, reject) => {
          const t = setTimeout(() => reject(new Error('SMTP timed out')), this.options.requestTimeoutMs * 3);
          t.unref();
        }),
      ]);
      log.debug('digest e-mail sent');
      return { outcome: 'sent' };
    } catch (err) {
      if (signal.aborted) return { outcome: 'stopped' };
      log.info({ err: (err as Error).message }, 'digest e-mail not accepted');
      return { outcome: 'retry' };
    }
  }
}
