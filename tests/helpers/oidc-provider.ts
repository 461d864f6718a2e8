/**
 * A real OpenID Connect provider for tests: `oidc-provider` (v9) on 127.0.0.1 with one
 * confidential client (authorization code, PKCE), accounts whose claims the test sets, and a
 * tiny login page of its own at /interaction/:uid (a login field, "Sign in" and "Cancel") that
 * finishes the interaction with the account typed, consent included. `signIn` drives that page
 * with a cookie-carrying HTTP client (API tests); a browser fills it in (e2e tests).
 *
 * The HTTP server starts first (the issuer URL is known before the app under test starts); the
 * provider itself is built by `setRedirectUri`, once the app's callback URL is known.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

export interface ProviderAccount {
  preferred_username?: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  [claim: string]: unknown;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>` */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Account id (the `sub`) → its claims: the test adds and changes entries at will. */
  readonly accounts: Map<string, ProviderAccount>;
  /** Builds (or rebuilds) the provider with the client's one redirect URI. Requests before it get 503. */
  setRedirectUri(uri: string): void;
  /**
   * Plays the user at the provider: from the authorization URL through the login page as
   * `accountId` (or pressing Cancel when `cancel`) to the redirect back; returns that URL.
   */
  signIn(authorizationUrl: string, accountId: string, opts?: { cancel?: boolean }): Promise<string>;
  /** Stops answering (connections refused) until `listen` again on the same port. */
  close(): Promise<void>;
  listen(): Promise<void>;
}

const CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

function loginPage(uid: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test provider sign-in</title></head><body>
<h1>Test provider</h1>
<form method="post" action="/interaction/${uid}">
<label>Account <input name="login" data-testid="provider-login" autofocus></label>
<button type="submit" data-testid="provider-submit">Sign in</button>
<button type="submit" name="cancel" value="1" data-testid="provider-cancel">Cancel</button>
</form></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the provider's HTTP server on a free loopback port (or `port`). */
export async function startOidcProvider(opts: { port?: number; clientId?: string; clientSecret?: string } = {}): Promise<TestOidcProvider> {
  const clientId = opts.clientId ?? 'parley-test';
  const clientSecret = opts.clientSecret ?? 'parley-test-secret-0123456789abcdef';
  const accounts = new Map<string, ProviderAccount>();
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  let provider: Provider | null = null;

  const interaction = async (p: Provider, req: http.IncomingMessage, res: http.ServerResponse, uid: string): Promise<void> => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(loginPage(uid));
      return;
    }
    const form = await readForm(req);
    const details = await p.interactionDetails(req, res);
    if (form.get('cancel')) {
      await p.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled' }, { mergeWithLastSubmission: false });
      return;
    }
    const accountId = form.get('login') ?? '';
    const grant = new p.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await p.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  };

  const server = http.createServer((req, res) => {
    if (!provider) {
      res.writeHead(503).end('provider not configured yet');
      return;
    }
    const p = provider;
    const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    if (m) {
      interaction(p, req, res, m[1]!).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
      return;
    }
    void p.callback()(req, res);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(opts.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;

  const configuration = (redirectUri: string): Configuration => ({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['test-provider-cookie-key'] },
    claims: CLAIMS,
    scopes: ['openid', 'profile', 'email'],
    features: { devInteractions: { enabled: false } },
    // Explicit lifetimes (seconds): the defaults print a notice on every use.
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    findAccount: (_ctx, id) => {
      const claims = accounts.get(id);
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ ...claims, sub: id }) };
    },
  });

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    accounts,
    setRedirectUri(uri) {
      provider = new Provider(issuer, configuration(uri));
    },
    async signIn(authorizationUrl, accountId, signInOpts = {}) {
      const jar = new Map<string, string>();
      let url = authorizationUrl;
      let body: URLSearchParams | undefined;
      for (let hop = 0; hop < 10; hop++) {
        const res = await fetch(url, {
          method: body ? 'POST' : 'GET',
          redirect: 'manual',
          headers: {
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body,
        });
        for (const c of res.headers.getSetCookie()) {
          const [pair = ''] = c.split(';');
          const eq = pair.indexOf('=');
          jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        body = undefined;
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          const next = new URL(location, url);
          if (next.origin !== issuer) return next.href;
          url = next.href;
          continue;
        }
        if (res.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
          await res.text();
          body = new URLSearchParams(signInOpts.cancel ? { cancel: '1' } : { login: accountId });
          continue;
        }
        throw new Error(`the test provider answered ${res.status} at ${url}: ${(await res.text()).slice(0, 500)}`);
      }
      throw new Error('too many redirects at the test provider');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    async listen() {
      await listen(port);
    },
  };
}
