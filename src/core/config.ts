import { config as loadDotenv } from 'dotenv';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Every setting Parley reads, typed. The only place that reads `process.env`. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PGLITE_SHARED_BUFFERS: PostgreSQL's shared_buffers for the embedded database, such as "32MB". */
  pgliteSharedBuffers: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  uploadDir: string;
  /** UPLOAD_STORE=s3://bucket[/prefix]: upload bytes in that bucket (the S3_* settings); null = on disk under UPLOAD_DIR. */
  s3: S3Config | null;
  logDir: string;
  logLevel: LogLevel;
  rateLimit: boolean;
  webhookAllowPrivate: boolean;
  /** Largest JSON request body accepted, in bytes. */
  bodyLimit: number;
  /** Largest body accepted by routes open to anyone (sign-in, sign-up, password reset), in bytes; at most bodyLimit. */
  publicBodyLimit: number;
  /** Largest upload accepted, in bytes (413 beyond). */
  uploadMaxBytes: number;
  /** Bytes of uploads one person may keep (UPLOAD_QUOTA_PER_USER, default 1 GiB); null = no limit. */
  uploadQuotaPerUser: number | null;
  /** Bytes of uploads the whole site may keep (UPLOAD_QUOTA_TOTAL); null = no limit (the default). */
  uploadQuotaTotal: number | null;
  /** EMOJI_MAX_BYTES: the largest image accepted for a custom emoji, in bytes (413 beyond; default 256 KiB). */
  emojiMaxBytes: number;
  /** EXPORTS_MAX_CONCURRENT: group and personal-data exports this node streams at once (429 beyond). */
  exportsMaxConcurrent: number;
  /** DB_SLOW_QUERY_MS: statements taking this long or longer are logged with their SQL (0: none). */
  dbSlowQueryMs: number;
  /** MEMORY_TRIM_SECONDS: seconds between two returns of the C heap's free pages to the system (src/core/memory-trim.ts); null = never (0). */
  memoryTrimSeconds: number | null;
  /** Processes `npm start` runs on this machine (each a node; more than one needs PostgreSQL and Redis). */
  workers: number;
  /**
   * Which peers' X-Forwarded-For is believed (the client address for per-address limits and
   * logs): false = none, true = any, or a list of addresses / CIDR ranges / `loopback`.
   */
  trustProxy: boolean | string[];
  /** The username made site admin (when it registers, or at start if it exists); null = the first user to register. */
  adminUsername: string | null;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | null;
  /** Each limit's rate (null = that limit is off); `rateLimit: false` lifts them all. */
  rateLimits: RateLimitsConfig;
  /** Counts one account or group may hold (MAX_*). */
  caps: CapsConfig;
  /** Origins (`https://chat.example.com`) allowed to call /api/v1 from a browser; empty = none. */
  corsOrigins: string[];
  /**
   * Where people reach this server (`https://chat.example.com`), for links in e-mails, OpenID
   * Connect redirects and push notifications; null = `http://HOST:PORT`.
   */
  publicUrl: string | null;
  /** Outgoing e-mail (password resets, digests); null = no e-mail is sent. */
  smtp: SmtpConfig | null;
  /** Sign-in through an OpenID Connect provider (OIDC_*); null = not offered. */
  oidc: OidcConfig | null;
  /** Web Push: the VAPID keys (null = generated once and kept in the database) and whether private endpoints are allowed. */
  push: PushConfig;
  /** Login sessions: idle lifetime (each use slides it) and absolute cap from sign-in (null = none), in days. */
  sessions: SessionsConfig;
  /** WS_CONNECTIONS_PER_USER: WebSockets one user may have open on this node; one more is refused (close 4429). */
  wsConnectionsPerUser: number;
  /** OpenTelemetry traces over OTLP/HTTP (the standard OTEL_* variables); null = off, and the SDK is never loaded. */
  tracing: TracingConfig | null;
}

export interface TracingConfig {
  /** Where spans are posted: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  url: string;
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (or OTEL_EXPORTER_OTLP_PROTOCOL): `http/protobuf` (the default) or `http/json`. */
  protocol: 'http/protobuf' | 'http/json';
  /** OTEL_EXPORTER_OTLP_TRACES_HEADERS (or OTEL_EXPORTER_OTLP_HEADERS): `key=value,…`, URL-encoded values. */
  headers: Record<string, string>;
  /** OTEL_SERVICE_NAME (default `parley`). */
  serviceName: string;
  /**
   * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG: the share of new traces kept (0-1), and
   * whether a request that arrives in a trace (`traceparent`) follows its caller's decision.
   */
  sampler: { ratio: number; parentBased: boolean };
  /** OTEL_BSP_SCHEDULE_DELAY: ms between two exports of the batch span processor (default 5000). */
  scheduleDelayMs: number;
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans waiting for export (default 2048); past it new spans are dropped. */
  maxQueueSize: number;
  /** OTEL_EXPORTER_OTLP_TRACES_TIMEOUT (or OTEL_EXPORTER_OTLP_TIMEOUT): ms one export may take (default 10000). */
  exportTimeoutMs: number;
}

export interface SessionsConfig {
  /** SESSION_IDLE_DAYS: an unused login session ends after this many days (default 30). */
  idleDays: number;
  /** SESSION_MAX_DAYS: a login session ends this many days after sign-in however much it is used (default 365; `off` = never). */
  maxDays: number | null;
}

export interface PushConfig {
  /** VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY (URL-safe base64, as `web-push generate-vapid-keys` prints); null = generated. */
  vapid: { publicKey: string; privateKey: string } | null;
  /** VAPID_SUBJECT: a `mailto:` or `https:` contact for push services; null = derived from PUBLIC_URL or MAIL_FROM. */
  subject: string | null;
  /** PUSH_ALLOW_PRIVATE: accept push endpoints on loopback and private addresses, and plain http (tests only). */
  allowPrivate: boolean;
}

/** An S3-compatible bucket for upload bytes (UPLOAD_STORE=s3://bucket[/prefix]). */
export interface S3Config {
  bucket: string;
  /** Keys are `<prefix>/<key>`; '' = at the bucket's root. */
  prefix: string;
  /** S3_ENDPOINT: an S3-compatible server (MinIO, Ceph, R2…); null = AWS itself. */
  endpoint: string | null;
  /** S3_REGION (default us-east-1). */
  region: string;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; null = the AWS SDK's own chain (instance role, ~/.aws). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** S3_FORCE_PATH_STYLE: `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO and most self-hosted servers). */
  forcePathStyle: boolean;
  /** S3_TIMEOUT_MS: a call that has not answered, or a transfer that has not moved, for this long fails (503). */
  timeoutMs: number;
}

export interface SmtpConfig {
  /** `smtp://user:pass@host:port` or `smtps://…` (nodemailer's connection URL). */
  url: string;
  /** The From: address, e.g. `Parley <chat@example.com>`. */
  from: string;
}

/** A rate: `count` every `perSeconds`, in bursts of up to `burst` (a token bucket of `burst`). */
export interface Rate {
  count: number;
  perSeconds: number;
  burst: number;
}

export interface RateLimitsConfig {
  registerPerIp: Rate | null;
  loginPerIp: Rate | null;
  loginPerAccount: Rate | null;
  /** Messages sent (REST and WebSocket together), per user, on each node. */
  sendsPerUser: Rate | null;
  /** WebSocket frames of every type, per connection. */
  framesPerConnection: Rate | null;
  /** Password reset requests and confirmations, per client address. */
  passwordResetPerIp: Rate | null;
  /** Reset e-mails sent to one account (over it, requests are answered alike but nothing is sent). */
  passwordResetPerAccount: Rate | null;
  /** Password and e-mail changes (each checks the current password), per account. */
  passwordChangePerAccount: Rate | null;
  /** Invite code look-ups (GET /auth/invites/{code}), per client address. */
  inviteCheckPerIp: Rate | null;
  /** Message edits and deletions, per user. */
  editsPerUser: Rate | null;
  /** Reactions added and removed, per user. */
  reactionsPerUser: Rate | null;
  /** Group settings and membership changes (PATCH a group, add, remove, change a member's role), per user. */
  groupChangesPerUser: Rate | null;
  /** Profile changes (PATCH /users/me), per user. */
  profileChangesPerUser: Rate | null;
  /** Groups created, per user. */
  groupCreationsPerUser: Rate | null;
  /** Direct conversations started (opening an existing one is free), per user. */
  directConversationsPerUser: Rate | null;
  /** Invite links created, per user (site admins). */
  invitesPerUser: Rate | null;
  /** Bot accounts created, per user. */
  botsPerUser: Rate | null;
  /** API tokens created (one's own and one's bots'), per user. */
  apiTokensPerUser: Rate | null;
  /** Outgoing webhooks created, per user. */
  webhooksPerUser: Rate | null;
  /** Web Push subscriptions registered, per user. */
  pushSubscriptionsPerUser: Rate | null;
  /** Files uploaded, per user. */
  uploadsPerUser: Rate | null;
  /** Posts to one incoming webhook's URL. */
  incomingWebhookPosts: Rate | null;
}

/** How many of a thing one account (or group) may hold at once; past it, 409 (not lifted by RATE_LIMIT=off). */
export interface CapsConfig {
  /** MAX_GROUPS_PER_OWNER: live groups one account owns (409 `group_limit_reached`). */
  groupsPerOwner: number;
  /** MAX_BOTS_PER_OWNER: live bots one account owns (409 `conflict`). */
  botsPerOwner: number;
  /** MAX_WEBHOOKS_PER_GROUP: outgoing webhooks of one group (409 `conflict`). */
  webhooksPerGroup: number;
  /** MAX_PUSH_SUBSCRIPTIONS_PER_USER: Web Push subscriptions of one account (409 `conflict`). */
  pushSubscriptionsPerUser: number;
  /** MAX_INCOMING_WEBHOOKS_PER_GROUP: incoming webhooks of one group (409 `conflict`). */
  incomingWebhooksPerGroup: number;
  /** MAX_SLASH_COMMANDS_PER_GROUP: custom slash commands of one group (409 `conflict`). */
  slashCommandsPerGroup: number;
  /** MAX_CUSTOM_EMOJI: custom emoji the site may hold (409 `conflict`). */
  customEmoji: number;
}

/** The defaults: generous for people chatting, tight for password guessing. */
export const DEFAULT_RATE_LIMITS = {
  RATE_LIMIT_REGISTER_PER_IP: '5/min',
  RATE_LIMIT_LOGIN_PER_IP: '20/min',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '10/min',
  RATE_LIMIT_SENDS_PER_USER: '120/min,burst=60',
  RATE_LIMIT_FRAMES_PER_CONNECTION: '100/s,burst=200',
  RATE_LIMIT_PASSWORD_RESET_PER_IP: '5/min',
  RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT: '3/h',
  RATE_LIMIT_PASSWORD_CHANGE_PER_ACCOUNT: '10/min',
  RATE_LIMIT_INVITE_CHECK_PER_IP: '30/min',
  // Writes one account can repeat cheaply, each fanned out or stored (issues 24 and 26).
  RATE_LIMIT_EDITS_PER_USER: '60/min,burst=30',
  RATE_LIMIT_REACTIONS_PER_USER: '120/min,burst=60',
  RATE_LIMIT_GROUP_CHANGES_PER_USER: '30/min,burst=20',
  RATE_LIMIT_PROFILE_CHANGES_PER_USER: '30/min,burst=10',
  RATE_LIMIT_GROUP_CREATIONS_PER_USER: '10/h',
  RATE_LIMIT_DIRECT_CONVERSATIONS_PER_USER: '30/h',
  RATE_LIMIT_INVITES_PER_USER: '30/h',
  RATE_LIMIT_BOTS_PER_USER: '10/h',
  RATE_LIMIT_API_TOKENS_PER_USER: '30/h',
  RATE_LIMIT_WEBHOOKS_PER_USER: '10/h',
  RATE_LIMIT_PUSH_SUBSCRIPTIONS_PER_USER: '30/h',
  RATE_LIMIT_UPLOADS_PER_USER: '60/min,burst=30',
  RATE_LIMIT_INCOMING_WEBHOOK_POSTS: '60/min,burst=30',
} as const;

/** The caps' defaults (MAX_*): far above what one person or group needs. */
export const DEFAULT_CAPS = {
  MAX_GROUPS_PER_OWNER: 100,
  MAX_BOTS_PER_OWNER: 25,
  MAX_WEBHOOKS_PER_GROUP: 10,
  MAX_PUSH_SUBSCRIPTIONS_PER_USER: 20,
  MAX_INCOMING_WEBHOOKS_PER_GROUP: 10,
  MAX_SLASH_COMMANDS_PER_GROUP: 25,
  MAX_CUSTOM_EMOJI: 1000,
} as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A bad environment variable; start-up stops with its message. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  return v;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const s = v.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(s)) return true;
  if (['off', 'false', '0', 'no'].includes(s)) return false;
  throw new ConfigError(name, `expected "on" or "off", got "${v}"`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expected an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected ${min}-${max}, got ${n}`);
  return n;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A size in bytes: `1048576`, `500MB`, `1GiB`, `2 TB`; `off` = null (no limit). */
function bytes(env: Env, name: string, fallback: number | null): number | null {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const s = v.trim().toLowerCase();
  if (s === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/.exec(s);
  const n = m ? Math.floor(Number(m[1]) * BYTE_UNITS[m[2] ?? '']!) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(name, `expected a size such as "1073741824", "500MB" or "1GiB", or "off"; got "${v}"`);
  }
  return n;
}

/**
 * PostgreSQL's shared_buffers for the embedded database. PGlite's initdb writes 128MB, and the
 * WebAssembly memory never shrinks once a buffer has been touched: a chat server's working set
 * (recent messages, the members of active conversations) fits in much less. Measured in
 * BENCHMARKS.md ("Embedded memory"); PGLITE_SHARED_BUFFERS gives more to a big installation.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '32MB';

/** PostgreSQL's own size syntax (it is passed on as is), between 1MB and 16GB. */
function pgliteSharedBuffers(env: Env): string {
  const v = str(env, 'PGLITE_SHARED_BUFFERS', DEFAULT_PGLITE_SHARED_BUFFERS).trim();
  const m = /^(\d{1,8})(kB|MB|GB)$/.exec(v);
  const kb = m ? Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'] : NaN;
  if (!m || kb < 1024 || kb > 16 * 1024 * 1024) {
    throw new ConfigError('PGLITE_SHARED_BUFFERS', `expected a size between 1MB and 16GB in PostgreSQL's units, such as "32MB" or "1GB"; got "${v}"`);
  }
  return v;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const v = env[name];
  if (v === undefined || v === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL`);
  }
  return v;
}

/** UPLOAD_STORE and the S3_* settings; null for `local` (the default). */
function s3(env: Env): S3Config | null {
  const v = str(env, 'UPLOAD_STORE', 'local').trim();
  if (v === 'local') return null;
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9!_.*'()\/-]*))?$/.exec(v);
  const prefix = m?.[2]?.replace(/^\/+|\/+$/g, '') ?? '';
  if (!m || prefix.split('/').some((p) => p === '.' || p === '..') || prefix.includes('//')) {
    throw new ConfigError('UPLOAD_STORE', `expected "local" or "s3://bucket" or "s3://bucket/prefix" (a bucket name of 3-63 of a-z 0-9 . -); got "${v}"`);
  }
  const accessKeyId = str(env, 'AWS_ACCESS_KEY_ID', '');
  const secretAccessKey = str(env, 'AWS_SECRET_ACCESS_KEY', '');
  if (!accessKeyId !== !secretAccessKey) {
    throw new ConfigError(accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID', 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together, or neither (then the AWS SDK finds credentials itself)');
  }
  const region = str(env, 'S3_REGION', 'us-east-1');
  if (!/^[a-z0-9-]{2,32}$/.test(region)) throw new ConfigError('S3_REGION', `expected a region name such as "us-east-1"; got "${region}"`);
  const endpoint = url(env, 'S3_ENDPOINT', ['http:', 'https:']);
  return {
    bucket: m[1]!,
    prefix,
    endpoint,
    region,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : null,
    forcePathStyle: onOff(env, 'S3_FORCE_PATH_STYLE', false),
    timeoutMs: int(env, 'S3_TIMEOUT_MS', 10_000, 100, 600_000),
  };
}

function workers(env: Env): number {
  const v = env.WORKERS;
  if (v !== undefined && v.toLowerCase() === 'auto') return os.availableParallelism();
  return int(env, 'WORKERS', 1, 1, 256);
}

function trustProxy(env: Env): boolean | string[] {
  const v = env.TRUST_PROXY;
  if (v === undefined || v === '') return false;
  const s = v.trim().toLowerCase();
  if (['on', 'true', 'yes'].includes(s)) return true;
  if (['off', 'false', 'no'].includes(s)) return false;
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const valid = (x: string): boolean => {
    if (named.has(x)) return true;
    const [address = '', prefix, extra] = x.split('/');
    const family = net.isIP(address);
    if (family === 0 || extra !== undefined) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  };
  const bad = list.find((x) => !valid(x));
  if (bad !== undefined || list.length === 0) {
    throw new ConfigError('TRUST_PROXY', `expected on, off, or a comma-separated list of addresses, CIDR ranges or "loopback"; got "${bad ?? v}"`);
  }
  return list;
}

function adminUsername(env: Env): string | null {
  const v = env.ADMIN_USERNAME;
  if (v === undefined || v === '') return null;
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(v)) throw new ConfigError('ADMIN_USERNAME', `not a username (3-32 of A-Z a-z 0-9 _ . -): "${v}"`);
  return v;
}

function metricsToken(env: Env): string | null {
  const v = env.METRICS_TOKEN;
  if (v === undefined || v === '') return null;
  if (v.length < 16 || /\s/.test(v)) throw new ConfigError('METRICS_TOKEN', 'expected at least 16 characters without spaces');
  return v;
}

const RATE_UNITS = { s: 1, min: 60, h: 3600 } as const;
const RATE = /^(\d{1,7})\s*\/\s*(s|min|h)(?:\s*,\s*burst\s*=\s*(\d{1,7}))?$/;

/** `N/s`, `N/min` or `N/h`, optionally `,burst=B` (default B = N); `off` = no limit. */
function rate(env: Env, name: keyof typeof DEFAULT_RATE_LIMITS): Rate | null {
  const v = env[name];
  const s = (v === undefined || v === '' ? DEFAULT_RATE_LIMITS[name] : v).trim().toLowerCase();
  if (s === 'off') return null;
  const m = RATE.exec(s);
  const count = m ? Number(m[1]) : 0;
  const burst = m?.[3] === undefined ? count : Number(m[3]);
  if (!m || count < 1 || burst < 1) {
    throw new ConfigError(name, `expected a rate such as "20/min", "100/s,burst=200" (units s, min, h) or "off"; got "${v}"`);
  }
  return { count, perSeconds: RATE_UNITS[m[2] as keyof typeof RATE_UNITS], burst };
}

/** A count of 1 to 100000 (MAX_*). */
function cap(env: Env, name: keyof typeof DEFAULT_CAPS): number {
  return int(env, name, DEFAULT_CAPS[name], 1, 100_000);
}

/** Exact origins, comma-separated: `scheme://host[:port]`, no path. */
function corsOrigins(env: Env): string[] {
  const v = env.CORS_ORIGINS;
  if (v === undefined || v.trim() === '') return [];
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const origin of list) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = null;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.toLowerCase()) {
      throw new ConfigError('CORS_ORIGINS', `expected comma-separated origins such as "https://chat.example.com" (scheme, host and port only); got "${origin}"`);
    }
  }
  return [...new Set(list.map((x) => x.toLowerCase()))];
}

function publicUrl(env: Env): string | null {
  const v = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  if (v === null) return null;
  const parsed = new URL(v);
  if (parsed.search || parsed.hash) throw new ConfigError('PUBLIC_URL', 'expected a URL without query or fragment, such as "https://chat.example.com"');
  return v.replace(/\/+$/, '');
}

function smtp(env: Env): SmtpConfig | null {
  const u = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  if (u === null) return null;
  const from = str(env, 'MAIL_FROM', `Parley <parley@${new URL(u).hostname}>`);
  if (!/@/.test(from) || /[\r\n]/.test(from)) throw new ConfigError('MAIL_FROM', `expected an address such as "Parley <chat@example.com>", got "${from}"`);
  return { url: u, from };
}

function sessionsConfig(env: Env): SessionsConfig {
  const idleDays = int(env, 'SESSION_IDLE_DAYS', 30, 1, 3650);
  const max = env.SESSION_MAX_DAYS;
  const off = max !== undefined && ['off', 'none', 'false', 'no'].includes(max.trim().toLowerCase());
  const maxDays = off ? null : int(env, 'SESSION_MAX_DAYS', 365, 1, 36500);
  if (maxDays !== null && maxDays < idleDays) throw new ConfigError('SESSION_MAX_DAYS', `must be at least SESSION_IDLE_DAYS (${idleDays}), or "off"`);
  return { idleDays, maxDays };
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function push(env: Env): PushConfig {
  const publicKey = env.VAPID_PUBLIC_KEY?.trim() ?? '';
  const privateKey = env.VAPID_PRIVATE_KEY?.trim() ?? '';
  if ((publicKey === '') !== (privateKey === '')) {
    throw new ConfigError(publicKey ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', 'set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY together, or neither');
  }
  // An uncompressed P-256 point is 65 bytes, a private key 32: their URL-safe base64 is 87 and 43 characters.
  if (publicKey && (!B64URL.test(publicKey) || Buffer.from(publicKey, 'base64url').length !== 65)) {
    throw new ConfigError('VAPID_PUBLIC_KEY', 'expected the URL-safe base64 of a 65-byte P-256 public key (npx web-push generate-vapid-keys)');
  }
  if (privateKey && (!B64URL.test(privateKey) || Buffer.from(privateKey, 'base64url').length !== 32)) {
    throw new ConfigError('VAPID_PRIVATE_KEY', 'expected the URL-safe base64 of a 32-byte P-256 private key (npx web-push generate-vapid-keys)');
  }
  const subject = env.VAPID_SUBJECT?.trim() || null;
  if (subject !== null && !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(subject)) {
    throw new ConfigError('VAPID_SUBJECT', `expected "mailto:admin@example.com" or an https: URL, got "${subject}"`);
  }
  return { vapid: publicKey ? { publicKey, privateKey } : null, subject, allowPrivate: onOff(env, 'PUSH_ALLOW_PRIVATE', false) };
}

export interface OidcConfig {
  /** The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The button's label: "Sign in with <displayName>". */
  displayName: string;
  /** Space-separated; always includes `openid`. */
  scopes: string;
  /** In `invite` sign-up mode, the provider's users may still create accounts (the provider is the gate). */
  allowSignup: boolean;
}

const OIDC_REQUIRED = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;
const OIDC_OPTIONAL = ['OIDC_DISPLAY_NAME', 'OIDC_SCOPES', 'OIDC_ALLOW_SIGNUP'] as const;

/** `localhost`, 127.0.0.0/8 and ::1: the only hosts an http issuer may have (tests, development). */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (net.isIPv4(h) && h.startsWith('127.'));
}

/** OIDC_*: issuer, client id and secret all together or none (and then none of the optional ones). */
function oidc(env: Env): OidcConfig | null {
  const given = (name: string) => env[name] !== undefined && env[name] !== '';
  if (!OIDC_REQUIRED.some(given)) {
    const stray = OIDC_OPTIONAL.find(given);
    if (stray) throw new ConfigError(stray, 'OpenID Connect is not configured: set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too');
    return null;
  }
  const missing = OIDC_REQUIRED.find((name) => !given(name));
  if (missing) throw new ConfigError(missing, 'OpenID Connect needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together');
  const issuer = url(env, 'OIDC_ISSUER', ['http:', 'https:'])!;
  const parsed = new URL(issuer);
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    throw new ConfigError('OIDC_ISSUER', 'expected an https URL (http is accepted only on loopback addresses, for tests)');
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ConfigError('OIDC_ISSUER', 'expected the issuer URL alone, without credentials, query or fragment');
  }
  const clientId = env.OIDC_CLIENT_ID!;
  if (clientId.length > 512 || /\s/.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID', 'expected up to 512 characters without spaces');
  const clientSecret = env.OIDC_CLIENT_SECRET!;
  if (clientSecret.length > 1024 || /[\r\n]/.test(clientSecret)) throw new ConfigError('OIDC_CLIENT_SECRET', 'expected up to 1024 characters on one line');
  const displayName = str(env, 'OIDC_DISPLAY_NAME', 'single sign-on').trim();
  if (displayName.length === 0 || displayName.length > 64 || /[\u0000-\u001f\u007f]/.test(displayName)) {
    throw new ConfigError('OIDC_DISPLAY_NAME', 'expected 1-64 characters on one line');
  }
  const scopes = str(env, 'OIDC_SCOPES', 'openid profile email').trim().split(/\s+/);
  if (!scopes.includes('openid') || scopes.some((x) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(x))) {
    throw new ConfigError('OIDC_SCOPES', `expected space-separated scopes including "openid", such as "openid profile email"; got "${env.OIDC_SCOPES}"`);
  }
  return { issuer, clientId, clientSecret, displayName, scopes: [...new Set(scopes)].join(' '), allowSignup: onOff(env, 'OIDC_ALLOW_SIGNUP', false) };
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** OTEL_TRACES_SAMPLER and its argument, as the OpenTelemetry specification names them. */
function sampler(env: Env): TracingConfig['sampler'] {
  const name = str(env, 'OTEL_TRACES_SAMPLER', 'parentbased_always_on').trim().toLowerCase();
  if (!SAMPLERS.includes(name)) throw new ConfigError('OTEL_TRACES_SAMPLER', `expected one of ${SAMPLERS.join(', ')}; got "${env.OTEL_TRACES_SAMPLER}"`);
  const parentBased = name.startsWith('parentbased_');
  if (name.endsWith('always_on')) return { ratio: 1, parentBased };
  if (name.endsWith('always_off')) return { ratio: 0, parentBased };
  const arg = str(env, 'OTEL_TRACES_SAMPLER_ARG', '1').trim();
  const ratio = /^(?:0|1|0?\.\d+|1\.0*)$/.test(arg) ? Number(arg) : NaN;
  if (!(ratio >= 0 && ratio <= 1)) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `expected a ratio between 0 and 1, such as "0.1"; got "${arg}"`);
  return { ratio, parentBased };
}

/** `key=value,key2=value2` with URL-encoded values (the OTLP exporters' header syntax). */
function otlpHeaders(env: Env): Record<string, string> {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' : 'OTEL_EXPORTER_OTLP_HEADERS';
  const v = env[name];
  if (!v) return {};
  const headers: Record<string, string> = {};
  for (const pair of v.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    let value: string | null;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      value = null; // broken percent-encoding
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || value === null || /[\r\n\0]/.test(value)) {
      throw new ConfigError(name, 'expected "key=value" pairs separated by commas, values URL-encoded');
    }
    headers[key.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Traces: on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
 * OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces` added), unless OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none. Only OTLP over HTTP is offered (no gRPC).
 */
function tracing(env: Env): TracingConfig | null {
  if (onOff(env, 'OTEL_SDK_DISABLED', false)) return null;
  const exporter = str(env, 'OTEL_TRACES_EXPORTER', 'otlp').trim().toLowerCase();
  if (exporter !== 'otlp' && exporter !== 'none') throw new ConfigError('OTEL_TRACES_EXPORTER', `expected "otlp" or "none"; got "${env.OTEL_TRACES_EXPORTER}"`);
  const tracesEndpoint = url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);
  const baseEndpoint = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
  if (exporter === 'none' || (!tracesEndpoint && !baseEndpoint)) return null;
  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = str(env, protocolVar, 'http/protobuf').trim().toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(protocolVar, `expected "http/protobuf" or "http/json" (gRPC is not offered); got "${env[protocolVar]}"`);
  }
  const timeoutVar = env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const serviceName = str(env, 'OTEL_SERVICE_NAME', 'parley').trim();
  if (serviceName.length > 255 || /[\0-\x1f]/.test(serviceName)) throw new ConfigError('OTEL_SERVICE_NAME', 'expected a name of at most 255 printable characters');
  return {
    url: tracesEndpoint ?? `${baseEndpoint!.replace(/\/+$/, '')}/v1/traces`,
    protocol,
    headers: otlpHeaders(env),
    serviceName: serviceName || 'parley',
    sampler: sampler(env),
    scheduleDelayMs: int(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 1, 600_000),
    maxQueueSize: int(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000),
    exportTimeoutMs: int(env, timeoutVar, 10_000, 1, 600_000),
  };
}

/** Reads and validates the configuration from `env`; throws ConfigError naming the bad variable. */
export function parseConfig(env: Env, cwd = process.cwd()): Config {
  const logLevel = str(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const host = str(env, 'HOST', '127.0.0.1');
  if (/\s/.test(host)) throw new ConfigError('HOST', `not a host name or address: "${host}"`);
  const config: Config = {
    port: int(env, 'PORT', 3000, 0, 65535),
    host,
    dataDir: path.resolve(cwd, str(env, 'DATA_DIR', './data')),
    pgliteSharedBuffers: pgliteSharedBuffers(env),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    uploadDir: path.resolve(cwd, str(env, 'UPLOAD_DIR', './uploads')),
    s3: s3(env),
    logDir: path.resolve(cwd, str(env, 'LOG_DIR', './logs')),
    logLevel: logLevel as LogLevel,
    rateLimit: onOff(env, 'RATE_LIMIT', true),
    webhookAllowPrivate: onOff(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    bodyLimit: int(env, 'BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    publicBodyLimit: int(env, 'PUBLIC_BODY_LIMIT', 16 * 1024, 1024, 64 * 1024 * 1024),
    uploadMaxBytes: int(env, 'UPLOAD_MAX_BYTES', 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    uploadQuotaPerUser: bytes(env, 'UPLOAD_QUOTA_PER_USER', 1024 ** 3),
    uploadQuotaTotal: bytes(env, 'UPLOAD_QUOTA_TOTAL', null),
    emojiMaxBytes: int(env, 'EMOJI_MAX_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    exportsMaxConcurrent: int(env, 'EXPORTS_MAX_CONCURRENT', 2, 1, 64),
    dbSlowQueryMs: int(env, 'DB_SLOW_QUERY_MS', 250, 0, 3_600_000),
    memoryTrimSeconds: int(env, 'MEMORY_TRIM_SECONDS', 300, 0, 86_400) || null,
    workers: workers(env),
    trustProxy: trustProxy(env),
    adminUsername: adminUsername(env),
    metricsToken: metricsToken(env),
    rateLimits: {
      registerPerIp: rate(env, 'RATE_LIMIT_REGISTER_PER_IP'),
      loginPerIp: rate(env, 'RATE_LIMIT_LOGIN_PER_IP'),
      loginPerAccount: rate(env, 'RATE_LIMIT_LOGIN_PER_ACCOUNT'),
      sendsPerUser: rate(env, 'RATE_LIMIT_SENDS_PER_USER'),
      framesPerConnection: rate(env, 'RATE_LIMIT_FRAMES_PER_CONNECTION'),
      passwordResetPerIp: rate(env, 'RATE_LIMIT_PASSWORD_RESET_PER_IP'),
      passwordResetPerAccount: rate(env, 'RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT'),
      passwordChangePerAccount: rate(env, 'RATE_LIMIT_PASSWORD_CHANGE_PER_ACCOUNT'),
      inviteCheckPerIp: rate(env, 'RATE_LIMIT_INVITE_CHECK_PER_IP'),
      editsPerUser: rate(env, 'RATE_LIMIT_EDITS_PER_USER'),
      reactionsPerUser: rate(env, 'RATE_LIMIT_REACTIONS_PER_USER'),
      groupChangesPerUser: rate(env, 'RATE_LIMIT_GROUP_CHANGES_PER_USER'),
      profileChangesPerUser: rate(env, 'RATE_LIMIT_PROFILE_CHANGES_PER_USER'),
      groupCreationsPerUser: rate(env, 'RATE_LIMIT_GROUP_CREATIONS_PER_USER'),
      directConversationsPerUser: rate(env, 'RATE_LIMIT_DIRECT_CONVERSATIONS_PER_USER'),
      invitesPerUser: rate(env, 'RATE_LIMIT_INVITES_PER_USER'),
      botsPerUser: rate(env, 'RATE_LIMIT_BOTS_PER_USER'),
      apiTokensPerUser: rate(env, 'RATE_LIMIT_API_TOKENS_PER_USER'),
      webhooksPerUser: rate(env, 'RATE_LIMIT_WEBHOOKS_PER_USER'),
      pushSubscriptionsPerUser: rate(env, 'RATE_LIMIT_PUSH_SUBSCRIPTIONS_PER_USER'),
      uploadsPerUser: rate(env, 'RATE_LIMIT_UPLOADS_PER_USER'),
      incomingWebhookPosts: rate(env, 'RATE_LIMIT_INCOMING_WEBHOOK_POSTS'),
    },
    caps: {
      groupsPerOwner: cap(env, 'MAX_GROUPS_PER_OWNER'),
      botsPerOwner: cap(env, 'MAX_BOTS_PER_OWNER'),
      webhooksPerGroup: cap(env, 'MAX_WEBHOOKS_PER_GROUP'),
      pushSubscriptionsPerUser: cap(env, 'MAX_PUSH_SUBSCRIPTIONS_PER_USER'),
      incomingWebhooksPerGroup: cap(env, 'MAX_INCOMING_WEBHOOKS_PER_GROUP'),
      slashCommandsPerGroup: cap(env, 'MAX_SLASH_COMMANDS_PER_GROUP'),
      customEmoji: cap(env, 'MAX_CUSTOM_EMOJI'),
    },
    corsOrigins: corsOrigins(env),
    publicUrl: publicUrl(env),
    smtp: smtp(env),
    oidc: oidc(env),
    push: push(env),
    sessions: sessionsConfig(env),
    wsConnectionsPerUser: int(env, 'WS_CONNECTIONS_PER_USER', 20, 1, 10_000),
    tracing: tracing(env),
  };
  if (config.publicBodyLimit > config.bodyLimit) {
    throw new ConfigError('PUBLIC_BODY_LIMIT', `expected at most BODY_LIMIT (${config.bodyLimit}), got ${config.publicBodyLimit}`);
  }
  if (config.oidc && !config.publicUrl) {
    throw new ConfigError('PUBLIC_URL', 'OpenID Connect (OIDC_ISSUER) needs it: the provider sends people back to PUBLIC_URL/api/v1/auth/oidc/callback');
  }
  if (config.redisUrl && !config.databaseUrl) {
    throw new ConfigError('REDIS_URL', 'several nodes need a PostgreSQL server: set DATABASE_URL too (the embedded database serves one process)');
  }
  if (config.workers > 1 && !(config.databaseUrl && config.redisUrl)) {
    throw new ConfigError('WORKERS', 'more than one worker needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)');
  }
  return config;
}

/** The process configuration: `.env` in the working directory, then the environment over it. */
export function loadConfig(): Config {
  loadDotenv({ quiet: true });
  return parseConfig(process.env);
}
