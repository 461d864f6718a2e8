import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';

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
    });
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
