/**
 * A throwaway S3-compatible server (the s3rver package, run as its own process) on a free
 * loopback port, with one bucket, that a test can kill and restart on its port (its objects
 * are kept on disk across a restart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type S3Config } from '../../src/core/config.js';
import { freePort, ROOT } from './process.js';

export const TEST_BUCKET = 'parley-test';

export class TestS3 {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestS3> {
    const s3 = new TestS3(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'parley-s3rver-')));
    await s3.restart();
    return s3;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Parley's settings for this server (s3rver takes the key pair S3RVER/S3RVER); `endpoint` to go through a proxy. */
  env(prefix: string, endpoint = this.endpoint): Record<string, string> {
    return {
      UPLOAD_STORE: `s3://${TEST_BUCKET}/${prefix}`,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'on',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
  }

  /** The parsed S3Config of env(prefix) (for opening the store from a test). */
  config(prefix: string, timeoutMs = 2_000): S3Config {
    return parseConfig({ ...this.env(prefix), S3_TIMEOUT_MS: String(timeoutMs) }).s3!;
  }

  /** Starts the server (again) on its port and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('s3rver is already running');
    const bin = path.join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');
    const child = spawn(process.execPath, [bin, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '--silent', '--configure-bucket', TEST_BUCKET], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`s3rver exited: ${err}`);
      if (await accepts(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`s3rver did not listen on ${this.port}: ${err}`);
  }

  /** kill -9: the server is gone (its files stay for a restart). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
