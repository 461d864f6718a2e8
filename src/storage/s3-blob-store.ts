/**
 * Upload bytes in an S3-compatible bucket (UPLOAD_STORE=s3://bucket[/prefix]). Loaded only when
 * configured (open-blob-store.ts): the AWS SDK is its own chunk of the build.
 *
 * Every call is time-boxed by S3_TIMEOUT_MS: a call without an answer, or a transfer whose bytes
 * stop moving, for that long fails; so does a body transfer slower than MIN_TRANSFER_RATE. A
 * bucket that cannot be reached fails with AppError `unavailable` (503 `retry-after`): the server
 * stays up and answers, and recovers by itself when the bucket does.
 */
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { checkBlobKey, isBlobKey, type BlobStore, type TempFiles } from './blob-store.js';

/** A body transfer gets S3_TIMEOUT_MS plus one second per MiB: a bucket slower than 1 MiB/s fails. */
const MIN_TRANSFER_RATE = 1024 * 1024;
/** Sockets to the bucket: each download being streamed to a client holds one. */
const MAX_SOCKETS = 256;
const UNAVAILABLE_MESSAGE = 'file storage is unavailable; try again shortly';

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** A missing object (HEAD answers 404 without a body, GET says NoSuchKey); NoSuchBucket is not one. */
function isMissing(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(
    private readonly config: S3Config,
    private readonly temp: TempFiles,
    private readonly logger: Logger,
  ) {
    this.prefix = config.prefix ? `${config.prefix}/` : '';
    const agent = { keepAlive: true, maxSockets: MAX_SOCKETS };
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // Checksums only where S3 requires them: many S3-compatible servers refuse (or store
      // verbatim) the aws-chunked bodies the SDK's default checksums send.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: config.timeoutMs,
        socketTimeout: config.timeoutMs,
        httpAgent: new http.Agent(agent),
        httpsAgent: new https.Agent(agent),
      },
    });
  }

  private keyOf(key: string): string {
    checkBlobKey(key);
    return this.prefix + key;
  }

  /** Runs one call with a deadline; anything but a missing object becomes `unavailable`. */
  private async call<T>(op: string, key: string | null, run: (signal: AbortSignal) => Promise<T>, deadlineMs = this.config.timeoutMs): Promise<T> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`S3 ${op} took longer than ${deadlineMs} ms`)), deadlineMs);
    try {
      return await run(abort.signal);
    } catch (err) {
      if (isMissing(err)) throw err;
      this.logger.warn({ err, op, key, bucket: this.config.bucket }, 'S3 call failed');
      throw new AppError('unavailable', UNAVAILABLE_MESSAGE, undefined, { 'retry-after': '5' });
    } finally {
      clearTimeout(timer);
    }
  }

  private transferDeadline(bytes: number): number {
    return this.config.timeoutMs + Math.ceil((bytes / MIN_TRANSFER_RATE) * 1000);
  }

  /** Logs whether the bucket answers (at start): a server whose bucket is down still starts. */
  async check(): Promise<void> {
    const where = { bucket: this.config.bucket, prefix: this.config.prefix, endpoint: this.config.endpoint };
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }), { abortSignal: AbortSignal.timeout(this.config.timeoutMs) });
      this.logger.info(where, 'upload store: S3 bucket reachable');
    } catch (err) {
      const reason = statusOf(err) === 404 ? 'the bucket does not exist' : statusOf(err) === 403 ? 'access denied: check the key and its permissions' : 'no answer';
      this.logger.error({ ...where, err, reason }, `upload store: the S3 bucket cannot be reached (${reason}); uploads and downloads answer 503 until it can`);
    }
  }

  tempPath(): string {
    return this.temp.path();
  }

  async sweepTemp(olderThanMs: number): Promise<void> {
    await this.temp.sweep(olderThanMs);
  }

  /** Uploads the file before the transaction that records it: the slow part, outside any lock. */
  async stage(key: string, tempFile: string): Promise<void> {
    await this.putFile(key, tempFile);
  }

  /** Uploads the file unless the key is there (after stage: one HEAD). The temporary file stays, for the caller to remove. */
  async putFile(key: string, tempFile: string): Promise<void> {
    if (await this.exists(key)) return;
    const { size } = await fs.promises.stat(tempFile);
    await this.call(
      'PutObject',
      key,
      (abortSignal) => this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key), Body: fs.createReadStream(tempFile), ContentLength: size }), { abortSignal }),
      this.transferDeadline(size),
    );
  }

  async putBuffer(key: string, data: Buffer): Promise<void> {
    await this.call(
      'PutObject',
      key,
      (abortSignal) => this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key), Body: data, ContentLength: data.length }), { abortSignal }),
      this.transferDeadline(data.length),
    );
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.call('HeadObject', key, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }), { abortSignal }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * The object's bytes as they arrive: the deadline covers the answer; then the body streams
   * for as long as its bytes keep moving (an idle socket is cut after S3_TIMEOUT_MS).
   */
  async read(key: string): Promise<Readable | null> {
    try {
      const got = await this.call('GetObject', key, (abortSignal) => this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }), { abortSignal }));
      return (got.Body as Readable | undefined) ?? null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** Removes the object; a missing one is no error (S3 answers 204 either way). */
  async delete(key: string): Promise<void> {
    await this.call('DeleteObject', key, (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }), { abortSignal }));
  }

  /** A page of 1,000 at a time; S3 lists keys in ascending UTF-8 order. Foreign keys under the prefix are skipped. */
  async *keys(): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', null, (abortSignal) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.prefix, ContinuationToken: token }), { abortSignal }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length) ?? '';
        if (isBlobKey(key)) yield key;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.client.destroy();
  }
}
