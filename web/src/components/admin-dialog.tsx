/** Administration (site admins): who may sign up (mode, allowed e-mail domains), invite links, retention, link previews, custom emoji, storage. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { createInvite, getSiteSettings, listInvites, patchSiteSettings, revokeInvite, type CreatedInvite, type Invite, type SignupMode } from '../account-api.js';
import { formatFull as formatDateTime } from '../format.js';
import { useStore } from '../store/hooks.js';
import { copyWithToast } from '../clipboard.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { AdminRetentionSection } from './admin-retention-section.js';
import { AdminLinkPreviewsSection } from './admin-link-previews-section.js';
import { AdminEmojiSection } from './admin-emoji-section.js';
import { FormError } from './form-parts.js';
import { SiteStorageSection } from './storage-usage.js';
import { useTranslation } from 'react-i18next';

export function AdminDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal title={t('admin.title')} onClose={onClose} testId="admin-dialog" wide>
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

/** The sign-up modes offered (labelled admin.mode.* in the catalogs). */
const MODES: readonly SignupMode[] = ['open', 'invite', 'domain'];

function SignupSection() {
  const { t } = useTranslation();
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
      (err: unknown) => !cancelled && setError(errorText(err, t('admin.action.loadSettings'))),
    );
    return () => {
      cancelled = true;
    };
  }, [api, t]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!mode) return;
    const list = domains.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean);
    if (mode === 'domain' && list.length === 0) return setError(t('admin.needDomain'));
    setBusy(true);
    setError(null);
    try {
      const saved = await patchSiteSettings(api, { signupMode: mode, allowedEmailDomains: list });
      setDomains(saved.allowedEmailDomains.join('\n'));
      toast(t('admin.signupSaved'), 'info');
    } catch (err) {
      setError(errorText(err, t('admin.action.saveSettings')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void save(e)} data-testid="admin-signup-form">
      <h3>{t('admin.signup')}</h3>
      <fieldset className="radio-row" disabled={!mode}>
        <legend>{t('admin.whoMay')}</legend>
        {MODES.map((m) => (
          <label key={m}>
            <input type="radio" name="signup-mode" value={m} data-testid={`admin-mode-${m}`} checked={mode === m} onChange={() => setMode(m)} />
            {t(`admin.mode.${m}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('admin.domains')} <span className="muted">{t('admin.domainsHint')}</span>
        <textarea data-testid="admin-domains" rows={3} value={domains} placeholder="example.com" onChange={(e) => setDomains(e.target.value)} />
      </label>
      <FormError error={error} testId="admin-signup-error" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="admin-signup-save" disabled={busy || !mode}>
          {t('admin.saveSignup')}
        </button>
      </div>
    </form>
  );
}

function InvitesSection() {
  const { t } = useTranslation();
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
        setError(errorText(err, t('admin.action.loadInvites')));
      }
    },
    [api, t],
  );
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const h = Number(hours);
    const uses = maxUses.trim() === '' ? null : Number(maxUses);
    if (!Number.isInteger(h) || h < 1 || h > 8760) return setError(t('admin.badHours'));
    if (uses !== null && (!Number.isInteger(uses) || uses < 1 || uses > 1000)) return setError(t('admin.badUses'));
    setBusy(true);
    setError(null);
    try {
      const invite = await createInvite(api, { expiresInHours: h, maxUses: uses });
      setCreated(invite);
      await load();
    } catch (err) {
      setError(errorText(err, t('admin.action.createInvite')));
    } finally {
      setBusy(false);
    }
  };

  const copy = (url: string) => copyWithToast(url, t('admin.linkCopied'), t('admin.copyFailed'));

  const revoke = async (invite: Invite) => {
    try {
      await revokeInvite(api, invite.id);
      if (created?.id === invite.id) setCreated(null);
      await load();
    } catch (err) {
      toast(errorText(err, t('admin.action.revokeInvite')));
    }
  };

  return (
    <section className="form" data-testid="admin-invites">
      <h3>{t('admin.invites')}</h3>
      <form className="invite-create" onSubmit={(e) => void create(e)}>
        <label>
          {t('admin.validFor')}
          <input type="number" min={1} max={8760} data-testid="invite-hours" value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
        <label>
          {t('admin.maxUses')}
          <input type="number" min={1} max={1000} placeholder={t('admin.unlimited')} title={t('admin.emptyUnlimited')} data-testid="invite-max-uses" value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="invite-create" disabled={busy}>
          {t('admin.createInvite')}
        </button>
      </form>
      <FormError error={error} testId="admin-invites-error" />
      {created && (
        <div className="invite-created" data-testid="invite-created">
          <p>{t('admin.newInvite')}</p>
          <input readOnly value={created.url} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" className="btn btn-small" data-testid="invite-copy" onClick={() => void copy(created.url)}>
            {t('admin.copyLink')}
          </button>
        </div>
      )}
      {invites.length === 0 ? (
        <p className="muted">{t('admin.noInvites')}</p>
      ) : (
        <table className="invite-table" data-testid="invite-list">
          <thead>
            <tr>
              <th>{t('admin.created')}</th>
              <th>{t('admin.expires')}</th>
              <th>{t('admin.used')}</th>
              <th>{t('admin.state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => {
              const expired = i.expiresAt !== null && Date.parse(i.expiresAt) <= Date.now();
              const usedUp = i.maxUses !== null && i.uses >= i.maxUses;
              const state = i.revokedAt ? 'revoked' : expired ? 'expired' : usedUp ? 'usedUp' : 'active';
              return (
                <tr key={i.id} data-testid="invite-row" data-invite-id={i.id}>
                  <td>{formatDateTime(i.createdAt)}</td>
                  <td>{i.expiresAt ? formatDateTime(i.expiresAt) : t('admin.never')}</td>
                  <td>
                    {i.uses} / {i.maxUses ?? '∞'}
                  </td>
                  <td data-testid="invite-state" data-state={state}>
                    {t(`admin.inviteState.${state}`)}
                  </td>
                  <td>
                    {state === 'active' && (
                      <button type="button" className="btn btn-small" data-testid="invite-revoke" onClick={() => void revoke(i)}>
                        {t('admin.revoke')}
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
          {t('admin.more')}
        </button>
      )}
    </section>
  );
}
