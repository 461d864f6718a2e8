import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { AppError } from '../../src/core/errors.js';
import { enforce, limiterFor } from '../../src/core/rate-limiter.js';

describe('parseConfig', () => {
  it('gives the contract defaults with an empty environment', () => {
    const c = parseConfig({}, '/srv/parley');
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/srv/parley/data',
      databaseUrl: null,
      redisUrl: null,
      uploadDir: '/srv/parley/uploads',
      logDir: '/srv/parley/logs',
      logLevel: 'info',
      rateLimit: true,
      webhookAllowPrivate: false,
      wsConnectionsPerUser: 20,
    });
    expect(parseConfig({ WS_CONNECTIONS_PER_USER: '3' }).wsConnectionsPerUser).toBe(3);
  });

  it('reads storage quotas as sizes with units, or off; a bad one names its variable', () => {
    expect(parseConfig({}, '/x')).toMatchObject({ uploadQuotaPerUser: 1024 ** 3, uploadQuotaTotal: null });
    expect(parseConfig({ UPLOAD_QUOTA_PER_USER: '500MB', UPLOAD_QUOTA_TOTAL: '2 TiB' }, '/x')).toMatchObject({ uploadQuotaPerUser: 500e6, uploadQuotaTotal: 2 * 1024 ** 4 });
    expect(parseConfig({ UPLOAD_QUOTA_PER_USER: 'off', UPLOAD_QUOTA_TOTAL: '1048576' }, '/x')).toMatchObject({ uploadQuotaPerUser: null, uploadQuotaTotal: 1048576 });
    for (const bad of ['lots', '-5', '0', '1.5XB']) expect(() => parseConfig({ UPLOAD_QUOTA_PER_USER: bad }, '/x')).toThrow(/UPLOAD_QUOTA_PER_USER/);
  });

  it('keeps uploads on local disk by default; UPLOAD_STORE=s3://bucket[/prefix] with the S3_* settings; a bad one names its variable', () => {
    expect(parseConfig({}, '/x').s3).toBeNull();
    expect(parseConfig({ UPLOAD_STORE: 'local' }, '/x').s3).toBeNull();
    expect(parseConfig({ UPLOAD_STORE: 's3://chat-files' }, '/x').s3).toEqual({
      bucket: 'chat-files',
      prefix: '',
      endpoint: null,
      region: 'us-east-1',
      credentials: null,
      forcePathStyle: false,
      timeoutMs: 10_000,
    });
    const env = {
      UPLOAD_STORE: 's3://chat.files/parley/uploads/',
      S3_ENDPOINT: 'http://minio.internal:9000',
      S3_REGION: 'eu-central-1',
      S3_FORCE_PATH_STYLE: 'on',
      S3_TIMEOUT_MS: '3000',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret/key+example',
    };
    expect(parseConfig(env, '/x').s3).toEqual({
      bucket: 'chat.files',
      prefix: 'parley/uploads',
      endpoint: 'http://minio.internal:9000',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret/key+example' },
      forcePathStyle: true,
      timeoutMs: 3000,
    });
    for (const bad of ['s3://', 's3://A_Bucket', 's3://ok-bucket/../up', 's3://ok-bucket/a//b', 'gs://bucket', '/srv/files']) {
      expect(() => parseConfig({ UPLOAD_STORE: bad }, '/x'), bad).toThrow(/UPLOAD_STORE/);
    }
    expect(() => parseConfig({ UPLOAD_STORE: 's3://b-1', AWS_ACCESS_KEY_ID: 'only-the-id' }, '/x')).toThrow(/AWS_SECRET_ACCESS_KEY/);
    expect(() => parseConfig({ UPLOAD_STORE: 's3://b-1', S3_ENDPOINT: 'minio:9000' }, '/x')).toThrow(/S3_ENDPOINT/);
    expect(() => parseConfig({ UPLOAD_STORE: 's3://b-1', S3_TIMEOUT_MS: '5' }, '/x')).toThrow(/S3_TIMEOUT_MS/);
    // The AWS variables alone (set for other tools) change nothing.
    expect(parseConfig({ AWS_ACCESS_KEY_ID: 'x', S3_REGION: '??' }, '/x').s3).toBeNull();
  });

  it('reads every variable', () => {
    const c = parseConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        DATA_DIR: '/var/lib/parley',
        DATABASE_URL: 'postgres://u:p@db:5432/parley',
        REDIS_URL: 'redis://cache:6379',
        LOG_LEVEL: 'DEBUG',
        RATE_LIMIT: 'off',
        WEBHOOK_ALLOW_PRIVATE: 'on',
        WORKERS: '4',
        TRUST_PROXY: 'loopback, 10.0.0.0/8',
      },
      '/x',
    );
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/parley',
      databaseUrl: 'postgres://u:p@db:5432/parley',
      redisUrl: 'redis://cache:6379',
      logLevel: 'debug',
      rateLimit: false,
      webhookAllowPrivate: true,
      workers: 4,
      trustProxy: ['loopback', '10.0.0.0/8'],
    });
  });

  it('runs one worker and trusts no proxy by default; WORKERS=auto is every core', () => {
    expect(parseConfig({})).toMatchObject({ workers: 1, trustProxy: false });
    const auto = parseConfig({ WORKERS: 'auto', DATABASE_URL: 'postgres://db/p', REDIS_URL: 'redis://r' });
    expect(auto.workers).toBeGreaterThanOrEqual(1);
    expect(parseConfig({ TRUST_PROXY: 'on' }).trustProxy).toBe(true);
    expect(parseConfig({ TRUST_PROXY: '127.0.0.1,::1,fd00::/8' }).trustProxy).toEqual(['127.0.0.1', '::1', 'fd00::/8']);
  });

  it('has rate limits generous for chat and tight for password guessing; each is configurable or off', () => {
    expect(parseConfig({}).rateLimits).toEqual({
      registerPerIp: { count: 5, perSeconds: 60, burst: 5 },
      loginPerIp: { count: 20, perSeconds: 60, burst: 20 },
      loginPerAccount: { count: 10, perSeconds: 60, burst: 10 },
      sendsPerUser: { count: 120, perSeconds: 60, burst: 60 },
      framesPerConnection: { count: 100, perSeconds: 1, burst: 200 },
      passwordResetPerIp: { count: 5, perSeconds: 60, burst: 5 },
      passwordResetPerAccount: { count: 3, perSeconds: 3600, burst: 3 },
      passwordChangePerAccount: { count: 10, perSeconds: 60, burst: 10 },
      inviteCheckPerIp: { count: 30, perSeconds: 60, burst: 30 },
      editsPerUser: { count: 60, perSeconds: 60, burst: 30 },
      reactionsPerUser: { count: 120, perSeconds: 60, burst: 60 },
      groupChangesPerUser: { count: 30, perSeconds: 60, burst: 20 },
      profileChangesPerUser: { count: 30, perSeconds: 60, burst: 10 },
      groupCreationsPerUser: { count: 10, perSeconds: 3600, burst: 10 },
      directConversationsPerUser: { count: 30, perSeconds: 3600, burst: 30 },
      invitesPerUser: { count: 30, perSeconds: 3600, burst: 30 },
      botsPerUser: { count: 10, perSeconds: 3600, burst: 10 },
      apiTokensPerUser: { count: 30, perSeconds: 3600, burst: 30 },
      webhooksPerUser: { count: 10, perSeconds: 3600, burst: 10 },
      pushSubscriptionsPerUser: { count: 30, perSeconds: 3600, burst: 30 },
      uploadsPerUser: { count: 60, perSeconds: 60, burst: 30 },
      incomingWebhookPosts: { count: 60, perSeconds: 60, burst: 30 },
    });
    const c = parseConfig({
      RATE_LIMIT_REGISTER_PER_IP: '100/h',
      RATE_LIMIT_LOGIN_PER_IP: ' 50 / min ',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: 'OFF',
      RATE_LIMIT_SENDS_PER_USER: '5/s, burst=50',
      RATE_LIMIT_FRAMES_PER_CONNECTION: 'off',
      RATE_LIMIT_PASSWORD_RESET_PER_IP: '1/s',
      RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT: 'off',
      RATE_LIMIT_PASSWORD_CHANGE_PER_ACCOUNT: '2/min',
      RATE_LIMIT_INVITE_CHECK_PER_IP: 'off',
      RATE_LIMIT_EDITS_PER_USER: '2/s',
      RATE_LIMIT_GROUP_CREATIONS_PER_USER: 'off',
    });
    expect(c.rateLimits).toMatchObject({
      registerPerIp: { count: 100, perSeconds: 3600, burst: 100 },
      loginPerIp: { count: 50, perSeconds: 60, burst: 50 },
      loginPerAccount: null,
      sendsPerUser: { count: 5, perSeconds: 1, burst: 50 },
      framesPerConnection: null,
      passwordResetPerIp: { count: 1, perSeconds: 1, burst: 1 },
      passwordResetPerAccount: null,
      passwordChangePerAccount: { count: 2, perSeconds: 60, burst: 2 },
      inviteCheckPerIp: null,
      editsPerUser: { count: 2, perSeconds: 1, burst: 2 },
      groupCreationsPerUser: null,
    });
  });

  it('caps what one account or group may hold (MAX_*), each configurable', () => {
    expect(parseConfig({}).caps).toEqual({ groupsPerOwner: 100, botsPerOwner: 25, webhooksPerGroup: 10, pushSubscriptionsPerUser: 20, incomingWebhooksPerGroup: 10, slashCommandsPerGroup: 25, customEmoji: 1000 });
    const c = parseConfig({
      MAX_GROUPS_PER_OWNER: '5',
      MAX_BOTS_PER_OWNER: '1',
      MAX_WEBHOOKS_PER_GROUP: '3',
      MAX_PUSH_SUBSCRIPTIONS_PER_USER: '100000',
      MAX_INCOMING_WEBHOOKS_PER_GROUP: '2',
      MAX_SLASH_COMMANDS_PER_GROUP: '4',
      MAX_CUSTOM_EMOJI: '50',
    });
    expect(c.caps).toEqual({ groupsPerOwner: 5, botsPerOwner: 1, webhooksPerGroup: 3, pushSubscriptionsPerUser: 100_000, incomingWebhooksPerGroup: 2, slashCommandsPerGroup: 4, customEmoji: 50 });
    expect(() => parseConfig({ MAX_CUSTOM_EMOJI: '0' })).toThrow(/MAX_CUSTOM_EMOJI/);
  });

  it('limits a custom emoji image to EMOJI_MAX_BYTES (default 256 KiB, 1 KiB to 16 MiB)', () => {
    expect(parseConfig({}).emojiMaxBytes).toBe(256 * 1024);
    expect(parseConfig({ EMOJI_MAX_BYTES: '65536' }).emojiMaxBytes).toBe(65_536);
    expect(() => parseConfig({ EMOJI_MAX_BYTES: '100' })).toThrow(/EMOJI_MAX_BYTES/);
    expect(() => parseConfig({ EMOJI_MAX_BYTES: 'big' })).toThrow(/EMOJI_MAX_BYTES/);
  });

  it('logs database statements of 250 ms or more by default; DB_SLOW_QUERY_MS sets it, 0 turns it off', () => {
    expect(parseConfig({}).dbSlowQueryMs).toBe(250);
    expect(parseConfig({ DB_SLOW_QUERY_MS: '20' }).dbSlowQueryMs).toBe(20);
    expect(parseConfig({ DB_SLOW_QUERY_MS: '0' }).dbSlowQueryMs).toBe(0);
    expect(() => parseConfig({ DB_SLOW_QUERY_MS: '-1' })).toThrow(/DB_SLOW_QUERY_MS/);
  });

  it("returns the C heap's free pages every 300 s by default; MEMORY_TRIM_SECONDS sets the period, 0 turns it off", () => {
    expect(parseConfig({}).memoryTrimSeconds).toBe(300);
    expect(parseConfig({ MEMORY_TRIM_SECONDS: '60' }).memoryTrimSeconds).toBe(60);
    expect(parseConfig({ MEMORY_TRIM_SECONDS: '0' }).memoryTrimSeconds).toBeNull();
    expect(() => parseConfig({ MEMORY_TRIM_SECONDS: 'often' })).toThrow(/MEMORY_TRIM_SECONDS/);
    expect(() => parseConfig({ MEMORY_TRIM_SECONDS: '86401' })).toThrow(/MEMORY_TRIM_SECONDS/);
  });

  it('allows no cross-origin browser by default; CORS_ORIGINS lists exact origins', () => {
    expect(parseConfig({}).corsOrigins).toEqual([]);
    expect(parseConfig({ CORS_ORIGINS: ' ' }).corsOrigins).toEqual([]);
    expect(parseConfig({ CORS_ORIGINS: 'https://Chat.Example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://chat.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT', 'maybe'],
    ['WEBHOOK_ALLOW_PRIVATE', 'sure'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'http://localhost'],
    // Redis without PostgreSQL: the embedded database cannot be shared by several nodes.
    ['REDIS_URL', 'redis://localhost:6379'],
    ['WORKERS', '0'],
    ['WORKERS', 'many'],
    // Several workers without PostgreSQL and Redis.
    ['WORKERS', '2'],
    ['TRUST_PROXY', 'example.com'],
    ['TRUST_PROXY', 'cafe'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['TRUST_PROXY', '::::'],
    ['RATE_LIMIT_LOGIN_PER_ACCOUNT', '10'],
    ['RATE_LIMIT_LOGIN_PER_IP', '0/min'],
    ['RATE_LIMIT_REGISTER_PER_IP', '5/week'],
    ['RATE_LIMIT_SENDS_PER_USER', '60/min,burst=0'],
    ['RATE_LIMIT_SENDS_PER_USER', '60/min,burts=5'],
    ['RATE_LIMIT_FRAMES_PER_CONNECTION', '-1/s'],
    ['RATE_LIMIT_FRAMES_PER_CONNECTION', '1.5/s'],
    ['RATE_LIMIT_EDITS_PER_USER', 'lots'],
    ['RATE_LIMIT_GROUP_CREATIONS_PER_USER', '10/day'],
    ['MAX_GROUPS_PER_OWNER', '0'],
    ['MAX_BOTS_PER_OWNER', 'many'],
    ['MAX_WEBHOOKS_PER_GROUP', '100001'],
    ['WS_CONNECTIONS_PER_USER', '0'],
    ['WS_CONNECTIONS_PER_USER', 'lots'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'chat.example.com'],
    ['CORS_ORIGINS', 'https://chat.example.com/'],
    ['CORS_ORIGINS', 'https://chat.example.com/app'],
    ['CORS_ORIGINS', 'ftp://files.example.com'],
    ['CORS_ORIGINS', 'https://ok.example.com, https://user:pw@bad.example.com'],
  ])('names %s when it is %s', (name, value) => {
    let thrown: unknown;
    try {
      parseConfig({ [name]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(name);
    expect((thrown as Error).message).toContain(name);
  });
});

describe('traces (OTEL_*)', () => {
  it('are off unless an OTLP endpoint is set', () => {
    expect(parseConfig({}).tracing).toBeNull();
    expect(parseConfig({ OTEL_SERVICE_NAME: 'chat', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toBeNull();
  });

  it('take the standard variables, with the standard defaults', () => {
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      serviceName: 'parley',
      sampler: { ratio: 1, parentBased: true },
      scheduleDelayMs: 5000,
      maxQueueSize: 2048,
      exportTimeoutMs: 10_000,
    });
    const t = parseConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example.com/custom/path',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-tenant=chat',
      OTEL_SERVICE_NAME: 'parley-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
    }).tracing;
    expect(t).toEqual({
      url: 'https://otel.example.com/custom/path',
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-tenant': 'chat' },
      serviceName: 'parley-eu',
      sampler: { ratio: 0.25, parentBased: true },
      scheduleDelayMs: 200,
      maxQueueSize: 100,
      exportTimeoutMs: 3000,
    });
  });

  it('read every sampler of the specification', () => {
    const sampler = (name: string, arg?: string) =>
      parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: name, ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: arg }) }).tracing!.sampler;
    expect(sampler('always_on')).toEqual({ ratio: 1, parentBased: false });
    expect(sampler('always_off')).toEqual({ ratio: 0, parentBased: false });
    expect(sampler('traceidratio', '0.5')).toEqual({ ratio: 0.5, parentBased: false });
    expect(sampler('traceidratio')).toEqual({ ratio: 1, parentBased: false });
    expect(sampler('parentbased_always_on')).toEqual({ ratio: 1, parentBased: true });
    expect(sampler('parentbased_always_off')).toEqual({ ratio: 0, parentBased: true });
    expect(sampler('parentbased_traceidratio', '.1')).toEqual({ ratio: 0.1, parentBased: true });
  });

  it('are turned off by OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, endpoint or not', () => {
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector:4317'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_SAMPLER_ARG', '-0.1'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ['OTEL_TRACES_EXPORTER', 'zipkin'],
    ['OTEL_SDK_DISABLED', 'maybe'],
    ['OTEL_EXPORTER_OTLP_HEADERS', 'no-equals-sign'],
    ['OTEL_EXPORTER_OTLP_HEADERS', 'x=%E0%A4%A'],
    ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'x=a%0Db'],
    ['OTEL_BSP_SCHEDULE_DELAY', '0'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'lots'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-1'],
    ['OTEL_SERVICE_NAME', 'a\u0001b'],
  ])('refuse a bad %s (%s), naming it', (name, value) => {
    const env: Record<string, string> = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'traceidratio', [name]: value };
    let thrown: unknown;
    try {
      parseConfig(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(name);
  });
});

describe('rate limits from the configuration', () => {
  it('a configured rate drives its limiter; "off" and RATE_LIMIT=off let everything through', () => {
    const { rateLimits } = parseConfig({ RATE_LIMIT_SENDS_PER_USER: '2/min', RATE_LIMIT_LOGIN_PER_IP: 'off' });
    const sends = limiterFor(rateLimits.sendsPerUser, true);
    const t0 = 1_000_000;
    expect([sends.take('u', t0), sends.take('u', t0), sends.take('u', t0)]).toEqual([true, true, false]);
    expect(sends.retryAfter('u', t0)).toBe(30);
    expect(sends.take('u', t0 + 30_000)).toBe(true);
    const off = limiterFor(rateLimits.loginPerIp, true);
    const disabled = limiterFor(rateLimits.sendsPerUser, false);
    for (let i = 0; i < 1000; i++) expect(off.take('ip', t0) && disabled.take('u', t0)).toBe(true);
    for (const l of [sends, off, disabled]) l.close();
  });

  it('enforce throws 429 rate_limited with Retry-After and details.retryAfter', async () => {
    const limiter = limiterFor({ count: 1, perSeconds: 60, burst: 1 }, true);
    await enforce(limiter, 'k', 'too many');
    let thrown: unknown;
    try {
      await enforce(limiter, 'k', 'too many');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const err = thrown as AppError;
    expect([err.code, err.status]).toEqual(['rate_limited', 429]);
    const retry = Number(err.headers?.['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(59);
    expect(err.details).toEqual({ retryAfter: retry });
    limiter.close();
  });
});
