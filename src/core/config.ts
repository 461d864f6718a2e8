import { config as loadDotenv } from 'dotenv';
import path from 'node:path';

/** Every setting Parley reads, typed. The only place that reads `process.env`. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  uploadDir: string;
  logDir: string;
  logLevel: LogLevel;
  rateLimit: boolean;
  webhookAllowPrivate: boolean;
  /** Largest JSON request body accepted, in bytes. */
  bodyLimit: number;
  /** Largest upload accepted, in bytes (413 beyond). */
  uploadMaxBytes: number;
}

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

/** Reads and validates the configuration from `env`; throws ConfigError naming the bad variable. */
export function parseConfig(env: Env, cwd = process.cwd()): Config {
  const logLevel = str(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const host = str(env, 'HOST', '127.0.0.1');
  if (/\s/.test(host)) throw new ConfigError('HOST', `not a host name or address: "${host}"`);
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host,
    dataDir: path.resolve(cwd, str(env, 'DATA_DIR', './data')),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    uploadDir: path.resolve(cwd, str(env, 'UPLOAD_DIR', './uploads')),
    logDir: path.resolve(cwd, str(env, 'LOG_DIR', './logs')),
    logLevel: logLevel as LogLevel,
    rateLimit: onOff(env, 'RATE_LIMIT', true),
    webhookAllowPrivate: onOff(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    bodyLimit: int(env, 'BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    uploadMaxBytes: int(env, 'UPLOAD_MAX_BYTES', 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  };
}

/** The process configuration: `.env` in the working directory, then the environment over it. */
export function loadConfig(): Config {
  loadDotenv({ quiet: true });
  return parseConfig(process.env);
}
