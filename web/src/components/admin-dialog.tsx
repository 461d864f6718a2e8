/** Administration (site admins): who may sign up (mode, allowed e-mail domains), invite links, retention, link previews, custom emoji, storage. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { createInvite, getSiteSettings, listInvites, patchSiteSettings, revokeInvite, type CreatedInvite, type Invite, type SignupMode } from '../account-api.js';
import { formatFull as formatDateTime } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { AdminRetentionSection } from './admin-retention-section.js';
import { AdminLinkPreviewsSection } from './admin-link-previews-section.js';
import { AdminEmojiSection } from './admin-emoji-section.js';
import { FormError } from './form-parts.js';
import { SiteStorageSection } from './storage-usage.js';

export function AdminDialog({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Administration" onClose={onClose} testId="admin-dialog" wide>
      <SignupSection />
      <hr className="section-rule" />
      <InvitesSection />
      <hr className="section-rule" />
      <AdminRetentionSection />
      <hr className="section-rule" />
      <AdminLinkPreviewsSection />
      <hr className="section-rule" />
      <AdminEmojiSection />
      <hr className="section-rule" />
      <SiteStorageSection />
    </Modal>
  );
}

const MODES: { value: SignupMode; label: string }[] = [
  { value: 'open', label: 'Open: anyone may create an account' },
  { value: 'invite', label: 'Invite-only: an invite link is needed' },
  { value: 'domain', label: 'E-mail domains: an address in an allowed domain (or an invite) is needed' },
];

function SignupSection() {
  const { api } = useStore();
  const [mode, setMode] = useState<SignupMode | null>(null);
  const [domains, setDomains] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getSiteSettings(api).then(
      (s) => {
        if (cancelled) return;
        setMode(s.signupMode);
        setDomains(s.allowedEmailDomains.join('\n'));
      },
      (err: unknown) => !cancelled && setError(errorText(err, 'load the settings')),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!mode) return;
    const list = domains.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean);
    if (mode === 'domain' && list.length === 0) return setError('Add at least one domain, such as example.com.');
    setBusy(true);
    setError(null);
    try {
      const saved = await patchSiteSettings(api, { signupMode: mode, allowedEmailDomains: list });
      setDomains(saved.allowedEmailDomains.join('\n'));
      toast('Sign-up settings saved.', 'info');
    } catch (err) {
      setError(errorText(err, 'save the settings'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void save(e)} data-testid="admin-signup-form">
      <h3>Sign-up</h3>
      <fieldset className="radio-row" disabled={!mode}>
        <legend>Who may create an account</legend>
        {MODES.map((m) => (
          <label key={m.value}>
            <input type="radio" name="signup-mode" value={m.value} data-testid={`admin-mode-${m.value}`} checked={mode === m.value} onChange={() => setMode(m.value)} />
            {m.label}
          </label>
        ))}
      </fieldset>
      <label>
        Allowed e-mail domains <span className="muted">(one per line; sub-domains are not included)</span>
        <textarea data-testid="admin-domains" rows={3} value={domains} placeholder="example.com" onChange={(e) => setDomains(e.target.value)} />
      </label>
      <FormError error={error} testId="admin-signup-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="admin-signup-save" disabled={busy || !mode}>
          Save sign-up settings
        </button>
      </div>
    </form>
  );
}

function InvitesSection() {
  const { api } = useStore();
  const [invites, setInvites] = useState<Invite[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvite | null>(null);
  const [hours, setHours] = useState('168');
  const [maxUses, setMaxUses] = useState('1');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (cursor?: string) => {
      try {
        const page = await listInvites(api, cursor);
        setInvites((old) => (cursor ? [...old, ...page.invites] : page.invites));
        setNextCursor(page.nextCursor);
      } catch (err) {
        setError(errorText(err, 'load the invites'));
      }
    },
    [api],
  );
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const h = Number(hours);
    const uses = maxUses.trim() === '' ? null : Number(maxUses);
    if (!Number.isInteger(h) || h < 1 || h > 8760) return setError('Valid for 1 to 8760 hours.');
    if (uses !== null && (!Number.isInteger(uses) || uses < 1 || uses > 1000)) return setError('Uses: 1 to 1000, or empty for unlimited.');
    setBusy(true);
    setError(null);
    try {
      const invite = await createInvite(api, { expiresInHours: h, maxUses: uses });
      setCreated(invite);
      await load();
    } catch (err) {
      setError(errorText(err, 'create the invite'));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      toast('Invite link copied.', 'info');
    } catch {
      toast('Could not copy: select the link and copy it by hand.');
    }
  };

  const revoke = async (invite: Invite) => {
    try {
      await revokeInvite(api, invite.id);
      if (created?.id === invite.id) setCreated(null);
      await load();
    } catch (err) {
      toast(errorText(err, 'revoke the invite'));
    }
  };

  return (
    <section className="form" data-testid="admin-invites">
      <h3>Invites</h3>
      <form className="invite-create" onSubmit={(e) => void create(e)}>
        <label>
          Valid for (hours)
          <input type="number" min={1} max={8760} data-testid="invite-hours" value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
        <label>
          Max uses
          <input type="number" min={1} max={1000} placeholder="Unlimited" title="Empty: unlimited" data-testid="invite-max-uses" value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="invite-create" disabled={busy}>
          Create invite link
        </button>
      </form>
      <FormError error={error} testId="admin-invites-error" />
      {created && (
        <div className="invite-created" data-testid="invite-created">
          <p>New invite link (shown only now):</p>
          <input readOnly value={created.url} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" className="btn btn-small" data-testid="invite-copy" onClick={() => void copy(created.url)}>
            Copy link
          </button>
        </div>
      )}
      {invites.length === 0 ? (
        <p className="muted">No invites yet.</p>
      ) : (
        <table className="invite-table" data-testid="invite-list">
          <thead>
            <tr>
              <th>Created</th>
              <th>Expires</th>
              <th>Used</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => {
              const expired = i.expiresAt !== null && Date.parse(i.expiresAt) <= Date.now();
              const usedUp = i.maxUses !== null && i.uses >= i.maxUses;
              const state = i.revokedAt ? 'Revoked' : expired ? 'Expired' : usedUp ? 'Used up' : 'Active';
              return (
                <tr key={i.id} data-testid="invite-row" data-invite-id={i.id}>
                  <td>{formatDateTime(i.createdAt)}</td>
                  <td>{i.expiresAt ? formatDateTime(i.expiresAt) : 'Never'}</td>
                  <td>
                    {i.uses} / {i.maxUses ?? '∞'}
                  </td>
                  <td data-testid="invite-state">{state}</td>
                  <td>
                    {state === 'Active' && (
                      <button type="button" className="btn btn-small" data-testid="invite-revoke" onClick={() => void revoke(i)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {nextCursor && (
        <button type="button" className="btn btn-small" onClick={() => void load(nextCursor)}>
          More
        </button>
      )}
    </section>
  );
}
