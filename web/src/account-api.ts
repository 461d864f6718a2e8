/** REST calls of sign-up control, invites, e-mail address and passwords (over ParleyApi.request). */
import type { ParleyApi, User } from '../../src/client/index.js';
import { t } from './i18n/index.js';

export type SignupMode = 'open' | 'invite' | 'domain';
export interface AuthOptions {
  signupMode: SignupMode;
  passwordReset: boolean;
  oidc: { name: string; startUrl: string } | null;
}
export interface Me extends User {
  email: string | null;
}
export interface Invite {
  id: string;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
}
export interface CreatedInvite extends Invite {
  code: string;
  url: string;
}
export interface SiteSettings {
  signupMode: SignupMode;
  allowedEmailDomains: string[];
  retentionDays: number | null;
  /** The server fetches previews of links in new messages. */
  linkPreviews: boolean;
}

export const authOptions = (api: ParleyApi) => api.request<AuthOptions>('GET', '/auth/options', { auth: false });
export const checkInvite = (api: ParleyApi, code: string) =>
  api.request<{ valid: true; expiresAt: string | null }>('GET', `/auth/invites/${encodeURIComponent(code)}`, { auth: false });
export const requestPasswordReset = (api: ParleyApi, login: string) => api.request<void>('POST', '/auth/password-reset', { body: { login }, auth: false });
export const confirmPasswordReset = (api: ParleyApi, code: string, newPassword: string) =>
  api.request<void>('POST', '/auth/password-reset/confirm', { body: { code, newPassword }, auth: false });

export const getMe = (api: ParleyApi) => api.request<Me>('GET', '/users/me');
export const changeEmail = (api: ParleyApi, email: string, password: string) => api.request<Me>('PUT', '/users/me/email', { body: { email, password } });
export const changePassword = (api: ParleyApi, currentPassword: string, newPassword: string) =>
  api.request<void>('POST', '/users/me/password', { body: { currentPassword, newPassword } });

export const getSiteSettings = (api: ParleyApi) => api.request<SiteSettings>('GET', '/admin/settings');
export const patchSiteSettings = (api: ParleyApi, patch: Partial<SiteSettings>) => api.request<SiteSettings>('PATCH', '/admin/settings', { body: patch });
export const listInvites = (api: ParleyApi, cursor?: string) =>
  api.request<{ invites: Invite[]; nextCursor: string | null }>('GET', '/admin/invites', { query: { cursor } });
export const createInvite = (api: ParleyApi, input: { expiresInHours?: number; maxUses?: number | null }) =>
  api.request<CreatedInvite>('POST', '/admin/invites', { body: input });
export const revokeInvite = (api: ParleyApi, id: string) => api.request<void>('DELETE', `/admin/invites/${encodeURIComponent(id)}`);

/** A sentence for the sign-up and password errors the server names. */
export function accountErrorText(err: unknown): string | null {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'invite_required':
    case 'invite_invalid':
    case 'email_domain_not_allowed':
    case 'email_taken':
    case 'wrong_password':
    case 'password_not_set':
    case 'reset_code_invalid':
    case 'rate_limited':
      return t(`account.error.${code}`);
    default:
      return null;
  }
}
