/**
 * The group settings' "Integrations": the group's incoming webhooks (name, who made it, when it
 * was last used), a form that makes one and shows its URL once (Copy, and a curl example), and
 * Revoke after a confirmation.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Conversation, IncomingWebhook } from '../../../src/client/index.js';
import { formatFull } from '../format.js';
import { useChat, useStore } from '../store/hooks.js';
import { copyWithToast } from '../clipboard.js';
import { errorText, toast } from '../toasts.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { FormError } from './form-parts.js';
import './incoming-webhooks.css';
import { useTranslation } from 'react-i18next';

/** The hook's URL as a tool needs it: absolute, a path resolved against this page's origin. */
export function absoluteHookUrl(url: string, origin = window.location.origin): string {
  return new URL(url, origin).toString();
}

/** The one-line test a person pastes into a terminal. */
export function curlExample(url: string): string {
  return `curl -X POST -H 'Content-Type: application/json' -d '{"text":"Hello"}' ${url}`;
}

export function IncomingWebhooksSection({ conversation }: { conversation: Conversation }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const users = useChat((s) => s.users);
  const [hooks, setHooks] = useState<IncomingWebhook[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; url: string } | null>(null);
  const [revoking, setRevoking] = useState<IncomingWebhook | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setHooks(await api.listIncomingWebhooks(conversation.id));
    } catch (err) {
      setError(errorText(err, t('webhooks.action.load')));
    }
  }, [api, conversation.id]);
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError(t('webhooks.needName'));
    setBusy(true);
    setError(null);
    try {
      const hook = await api.createIncomingWebhook(conversation.id, name.trim());
      setCreated({ name: hook.name, url: absoluteHookUrl(hook.url) });
      setName('');
      await load();
    } catch (err) {
      setError(errorText(err, t('webhooks.action.add')));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (hook: IncomingWebhook) => {
    setError(null);
    try {
      await api.revokeIncomingWebhook(conversation.id, hook.id);
      toast(t('webhooks.revoked', { name: hook.name }), 'info');
      await load();
    } catch (err) {
      setError(errorText(err, t('webhooks.action.revoke')));
    }
  };

  const copy = (text: string) => copyWithToast(text, t('webhooks.copied'), t('webhooks.copyFailed'));

  return (
    <section className="integrations" data-testid="integrations-section">
      <h3>{t('webhooks.title')}</h3>
      <p className="muted">{t('webhooks.intro')}</p>
      {hooks?.length === 0 && <p className="muted">{t('webhooks.none')}</p>}
      {hooks && hooks.length > 0 && (
        <ul className="member-list" data-testid="webhook-list">
          {hooks.map((h) => (
            <li key={h.id} className="member" data-testid="webhook-row" data-webhook-id={h.id}>
              <span className="member-text">
                <span className="member-name" data-testid="webhook-name">
                  {h.name}
                </span>
                <span className="muted" data-testid="webhook-meta">
                  {t('webhooks.by', { name: h.createdBy ? (users[h.createdBy]?.displayName ?? t('webhooks.formerAdmin')) : t('webhooks.deletedUser') })} ·{' '}
                  {h.lastUsedAt ? t('webhooks.lastUsed', { when: formatFull(h.lastUsedAt) }) : t('webhooks.neverUsed')}
                </span>
              </span>
              <button type="button" className="btn btn-small btn-danger" data-testid="webhook-revoke" onClick={() => setRevoking(h)}>
                {t('webhooks.revoke')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form integrations-add" onSubmit={(e) => void create(e)}>
        <label>
          {t('webhooks.add')}
          <input data-testid="webhook-name-input" value={name} maxLength={64} placeholder="CI" onChange={(e) => setName(e.target.value)} />
        </label>
        <FormError error={error} />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="webhook-create">
            {t('webhooks.addButton')}
          </button>
        </p>
      </form>
      {created && (
        <div className="webhook-created" role="status" data-testid="webhook-created">
          <p>
            {t('webhooks.createdUrl', { name: created.name })}
          </p>
          <div className="webhook-copy-row">
            <input readOnly value={created.url} aria-label={t('webhooks.url')} data-testid="webhook-url" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="btn btn-small" data-testid="webhook-copy" onClick={() => void copy(created.url)}>
              {t('webhooks.copy')}
            </button>
          </div>
          <p className="muted">{t('webhooks.tryIt')}</p>
          <pre className="webhook-curl" data-testid="webhook-curl">
            {curlExample(created.url)}
          </pre>
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title={t('webhooks.revokeTitle')}
          text={t('webhooks.revokeText', { name: revoking.name })}
          confirmLabel={t('webhooks.revoke')}
          onClose={() => setRevoking(null)}
          onConfirm={() => void revoke(revoking)}
        />
      )}
    </section>
  );
}
