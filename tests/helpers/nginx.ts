/**
 * Debian's nginx in front of test nodes, configured by the repository's own
 * deploy/nginx/parley.conf (its listen line and upstream servers swapped for the test's ports).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from './process.js';

export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p)) ?? 'nginx';
export const SITE_CONF = path.join(ROOT, 'deploy/nginx/parley.conf');

/** The site file with its listen address and upstream servers replaced. */
export function renderSite(listenPort: number, nodePorts: number[]): string {
  const site = fs.readFileSync(SITE_CONF, 'utf8');
  const serverLine = /^(\s*)server 127\.0\.0\.1:\d+ (.*);$/m;
  if (!/^\s*listen 80;$/m.test(site) || !serverLine.test(site)) throw new Error(`${SITE_CONF} no longer has the lines this test replaces`);
  const indent = serverLine.exec(site)![1]!;
  const options = serverLine.exec(site)![2]!;
  return site
    .replace(/^\s*listen 80;$/m, `    listen 127.0.0.1:${listenPort};`)
    .replace(new RegExp(`(${serverLine.source}\\n?)+`, 'm'), nodePorts.map((p) => `${indent}server 127.0.0.1:${p} ${options};\n`).join(''));
}

export class TestNginx {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly log: () => string,
  ) {}

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/api/v1/ws`;
  }

  static async start(nodePorts: number[]): Promise<TestNginx> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-nginx-'));
    // nginx's workers may run as another user (nobody) when the test runs as root.
    fs.chmodSync(dir, 0o777);
    fs.writeFileSync(path.join(dir, 'parley.conf'), renderSite(port, nodePorts));
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'events { worker_connections 1024; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
        `  include ${dir}/parley.conf;`,
        '}',
      ].join('\n'),
    );
    let out = '';
    const child = spawn(NGINX_BIN, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const log = () => out + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '');
    const nginx = new TestNginx(child, dir, port, log);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${log()}`);
      try {
        await fetch(`${nginx.httpUrl}/healthz`);
        return nginx;
      } catch {
        if (Date.now() > deadline) throw new Error(`nginx did not listen: ${log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  output(): string {
    return this.log();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
