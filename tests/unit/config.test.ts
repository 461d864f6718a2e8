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
    });
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
