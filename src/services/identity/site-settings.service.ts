import { badRequest } from '../../core/errors.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { Actor } from './identity.js';
import { type AuditService } from './audit.service.js';
import { requireSiteAdmin } from './identity.js';

/** Who may create an account: anyone, holders of an invite, or owners of an address in an allowed domain. */
export const SIGNUP_MODES = ['open', 'invite', 'domain'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

/** The settings a site admin changes at run time (PATCH /admin/settings), the same on every node. */
export interface SiteSettings {
  signupMode: SignupMode;
  /** For `domain` sign-up: lower-case domains such as `example.com` (sub-domains not included). */
  allowedEmailDomains: string[];
  /** Messages older than this many days are deleted with their files (a group may set its own); null: kept for ever. */
  retentionDays: number | null;
  /** The server fetches previews of links in new messages (link-previews.service.ts); false: none. */
  linkPreviews: boolean;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = { signupMode: 'open', allowedEmailDomains: [], retentionDays: null, linkPreviews: true };
export const MAX_ALLOWED_DOMAINS = 100;
export const MAX_RETENTION_DAYS = 36_500;

const KEY = 'site_settings';
/** Another node's change is seen within this long. */
const CACHE_MS = 2_000;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Reads and changes the site settings; reads are cached for a moment (every sign-up and sweep reads them). */
export class SiteSettingsService {
  private cached: { value: SiteSettings; at: number } | null = null;

  constructor(
    private readonly repos: Pick<Repositories, 'settings'>,
    private readonly audit: AuditService,
  ) {}

  async get(): Promise<SiteSettings> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.value;
    const raw = await this.repos.settings.get(KEY);
    const value = parse(raw);
    this.cached = { value, at: Date.now() };
    return value;
  }

  /** For site admins. */
  async read(actor: Actor): Promise<SiteSettings> {
    requireSiteAdmin(actor);
    return this.get();
  }

  /** Changes the given settings (site admins); audited as `site.settings_changed` with what changed. */
  async update(actor: Actor, patch: Partial<SiteSettings>): Promise<SiteSettings> {
    requireSiteAdmin(actor);
    const current = parse(await this.repos.settings.get(KEY));
    const next: SiteSettings = { ...current };
    if (patch.signupMode !== undefined) next.signupMode = patch.signupMode;
    if (patch.allowedEmailDomains !== undefined) next.allowedEmailDomains = normalizeDomains(patch.allowedEmailDomains);
    if (patch.retentionDays !== undefined) next.retentionDays = patch.retentionDays;
    if (patch.linkPreviews !== undefined) next.linkPreviews = patch.linkPreviews;
    if (next.signupMode === 'domain' && next.allowedEmailDomains.length === 0) {
      throw badRequest('signupMode "domain" needs at least one domain in allowedEmailDomains');
    }
    await this.repos.settings.put(KEY, JSON.stringify(next));
    this.cached = { value: next, at: Date.now() };
    const changed = Object.fromEntries(
      (Object.keys(next) as (keyof SiteSettings)[])
        .filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]))
        .map((k) => [k, next[k]]),
    );
    if (Object.keys(changed).length > 0) {
      await this.audit.record({ actorId: actor.user.id, action: 'site.settings_changed', details: changed });
    }
    return next;
  }
}

/** Lower-cased, deduplicated, each a valid domain name (400 otherwise). */
export function normalizeDomains(domains: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of domains) {
    const domain = d.trim().toLowerCase().replace(/^@/, '');
    if (!DOMAIN.test(domain)) throw badRequest(`not a domain name: "${d}"`, { field: 'allowedEmailDomains' });
    out.add(domain);
  }
  if (out.size > MAX_ALLOWED_DOMAINS) throw badRequest(`at most ${MAX_ALLOWED_DOMAINS} domains`);
  return [...out];
}

function parse(raw: string | null): SiteSettings {
  if (!raw) return { ...DEFAULT_SITE_SETTINGS };
  try {
    return { ...DEFAULT_SITE_SETTINGS, ...(JSON.parse(raw) as Partial<SiteSettings>) };
  } catch {
    return { ...DEFAULT_SITE_SETTINGS };
  }
}
