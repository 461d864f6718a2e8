/**
 * Sends queued webhook deliveries through a QueueWorker (every node runs one; claims are one per
 * hook at a time, so a slow receiver holds one slot only) and records each outcome: success
 * deletes the row, a failure is retried with back-off, and after the last retry the delivery is
 * dropped; a hook failing too many deliveries in a row is disabled.
 * No transaction is open while a request is in flight.
 */
import type { Logger } from '../../core/logger.js';
import type { ClaimedDelivery, WebhooksRepository } from '../../db/repositories/webhooks.repository.js';
import type { AuditService } from '../identity/audit.service.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from './webhook-guard.js';
import { QueueWorker, retryDelayMs } from '../shared/queue-worker.js';
import { postWebhook, signWebhookBody } from './webhook-http.js';

export interface WebhookDispatcherOptions {
  /** Deliver to loopback and private addresses (WEBHOOK_ALLOW_PRIVATE=on). */
  allowPrivate: boolean;
  /** How often the queue is polled when nothing kicks it. */
  pollIntervalMs: number;
  /** Deliveries in flight at once on this node. */
  concurrency: number;
  /** Time box of one POST, connection and response headers included. */
  requestTimeoutMs: number;
  /** How long a claim lasts: past it another node may take the delivery (longer than a request). */
  leaseMs: number;
  /** Waits before each retry; after the last one fails the delivery is given up. Each is jittered ±20%. */
  retryDelaysMs: readonly number[];
  /** Given-up deliveries in a row that disable a hook. */
  disableAfter: number;
  /** Deliveries a hook may have waiting; beyond it new ones are not queued (and a warning is logged). */
  maxQueuedPerHook: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookDispatcherOptions = {
  allowPrivate: false,
  pollIntervalMs: 1_000,
  concurrency: 4,
  requestTimeoutMs: 5_000,
  leaseMs: 60_000,
  retryDelaysMs: [5_000, 30_000, 120_000, 600_000, 1_800_000],
  disableAfter: 5,
  maxQueuedPerHook: 1_000,
};

const EVENT = 'message.created';

/**
 * Describes a failed attempt for `last_error`, which the group's admins read: a timeout, the
 * guard's generic refusal, or a network error's code, never an error's message (a socket
 * error's names the address it tried, e.g. `connect ECONNREFUSED 10.0.3.7:80`).
 */
export function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: unknown };
  if (e.name === 'TimeoutError' || e.code === 'ABORT_ERR') return `no response within ${timeoutMs} ms`;
  if (err instanceof WebhookTargetError) return err.message;
  return typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(e.code) ? `request failed: ${e.code}` : 'request failed';
}

export class WebhookDispatcher {
  private readonly options: WebhookDispatcherOptions;
  private readonly worker: QueueWorker<ClaimedDelivery>;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    options: Partial<WebhookDispatcherOptions> = {},
    /** Told when a hook is disabled, so the service's cache forgets the conversation. */
    private readonly onDisabled: (conversationId: string) => void = () => undefined,
  ) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options };
    this.worker = new QueueWorker(
      'webhook',
      {
        claim: (n) => this.repo.claimDue(n, this.options.leaseMs),
        release: (d) => this.repo.release(d.id),
        deliver: (d, signal) => this.deliver(d, signal),
        describe: (d) => ({ deliveryId: d.id }),
      },
      this.options,
      logger,
    );
  }

  start(): void {
    this.worker.start();
  }

  /** Stops polling, aborts the requests in flight and hands their claims back for the next node. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Looks at the queue soon (after a local enqueue, or a delivery finishing). */
  kick(): void {
    this.worker.kick();
  }

  private async deliver(d: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const { requestTimeoutMs } = this.options;
    const log = this.logger.child({ webhookId: d.webhookId, deliveryId: d.id, attempt: d.attempts });
    let failure: string;
    try {
      const url = parseWebhookUrl(d.url);
      // Checked again now: the name may resolve elsewhere since the hook was created.
      const [address] = await resolveWebhookTarget(url, this.options.allowPrivate, requestTimeoutMs);
      const status = await postWebhook({
        url,
        address: address!,
        body: d.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Parley-Webhook/1',
          'x-parley-signature': signWebhookBody(d.secret, d.body),
          'x-parley-delivery': d.id,
          'x-parley-event': EVENT,
        },
        signal: AbortSignal.any([AbortSignal.timeout(requestTimeoutMs), signal]),
      });
      if (status >= 200 && status < 300) {
        await this.repo.complete(d.id, d.webhookId);
        log.debug({ status }, 'webhook delivered');
        return;
      }
      failure = `HTTP ${status}`;
    } catch (err) {
      if (signal.aborted) {
        // Not the receiver's fault: the next node (or this one after a restart) tries again.
        await this.repo.release(d.id);
        return;
      }
      failure = describeFailure(err, requestTimeoutMs);
      // What the admins do not see (the address refused, the socket error) is for the log only.
      log.debug({ err, ...(err instanceof WebhookTargetError ? err.detail : {}) }, 'webhook attempt failed');
    }
    await this.failed(d, failure, log);
  }

  private async failed(d: ClaimedDelivery, failure: string, log: Logger): Promise<void> {
    const delay = retryDelayMs(this.options.retryDelaysMs, d.attempts);
    if (delay !== null) {
      await this.repo.reschedule(d.id, d.webhookId, delay, failure);
      log.info({ failure, retryInMs: Math.round(delay) }, 'webhook delivery failed; will retry');
      return;
    }
    const result = await this.repo.giveUp(d.id, d.webhookId, failure, this.options.disableAfter);
    log.warn({ failure, consecutiveFailures: result.consecutiveFailures }, 'webhook delivery given up');
    if (result.disabled && result.conversationId) {
      this.onDisabled(result.conversationId);
      log.warn({ conversationId: result.conversationId }, 'webhook disabled after repeated failures');
      await this.audit.record({
        actorId: null,
        action: 'webhook.disabled',
        conversationId: result.conversationId,
        details: { webhookId: d.webhookId, target: new URL(d.url).origin, consecutiveFailures: result.consecutiveFailures, lastError: failure },
      });
    }
  }
}
