/**
 * API tokens for scripts and integrations: each with the scopes it needs (read and write by
 * default; the account's own keys only when ticked), shown once when made, revoked here (with
 * every token it made).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { TOKEN_SCOPES, type ApiTokenInfo, type TokenScope } from '../../../src/client/index.js';
import { formatFull } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';


export function ApiTokensDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const [tokens, setTokens] = useState<ApiTokenInfo[] | null>(null);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [scopes, setScopes] = useState<Set<TokenScope>>(new Set(['read', 'write']));
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTokens(await api.listTokens());
    } catch (err) {
      setError(errorText(err, t('settings.tokens.action.load')));
    }
  }, [api, t]);
  useEffect(() => void load(), [load]);

  const toggle = (scope: TokenScope) =>
    setScopes((cur) => {
      const next = new Set(cur);
      if (next.has(scope)) next.delete(scope);
      else next.add(scope);
      next.add('read');
      return next;
    });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError(t('settings.tokens.needName'));
    setBusy(true);
    setError(null);
    try {
      const made = await api.createToken({ name: name.trim(), scopes: TOKEN_SCOPES.filter((x) => scopes.has(x)), ...(days ? { expiresInDays: Number(days) } : {}) });
      setCreated(made.token);
      setName('');
      await load();
    } catch (err) {
      setError(errorText(err, t('settings.tokens.action.create')));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (token: ApiTokenInfo) => {
    setBusy(true);
    try {
      await api.revokeToken(token.id);
      toast(t('settings.tokens.revoked', { name: token.name }), 'info');
      await load();
    } catch (err) {
      setError(errorText(err, t('settings.tokens.action.revoke')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={t('settings.tokens.title')} onClose={onClose} testId="api-tokens-dialog">
      <form className="form" onSubmit={(e) => void create(e)}>
        <p className="muted">{t('settings.tokens.intro')}</p>
        <label>
          {t('settings.tokens.name')}
          <input data-testid="token-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} placeholder={t('settings.tokens.namePlaceholder')} />
        </label>
        <label>
          {t('settings.tokens.expires')}
          <input data-testid="token-days" type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <fieldset className="token-scopes">
          <legend>{t('settings.tokens.scopes')}</legend>
          {TOKEN_SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input type="checkbox" data-testid={`token-scope-${scope}`} checked={scopes.has(scope)} disabled={scope === 'read'} onChange={() => toggle(scope)} />
              {t(`settings.tokens.scope.${scope}`)}
            </label>
          ))}
        </fieldset>
        <FormError error={error} />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="token-create">
            {t('settings.tokens.create')}
          </button>
        </p>
        {created && (
          <div className="token-created" role="status">
            <p>{t('settings.tokens.copyNow')}</p>
            <input readOnly value={created} data-testid="token-secret" onFocus={(e) => e.currentTarget.select()} />
          </div>
        )}
      </form>
      <div className="form">
        <h3>{t('settings.tokens.yours')}</h3>
        {tokens?.length === 0 && <p className="muted">{t('settings.tokens.none')}</p>}
        {tokens && tokens.length > 0 && (
          <ul className="member-list" data-testid="token-list">
            {tokens.map((token) => (
              <li key={token.id} className="member" data-testid="token-row" data-token-id={token.id}>
                <span className="member-text">
                  <span className="member-name">{token.name}</span>
                  <span className="muted" data-testid="token-row-scopes">
                    {token.scopes.join(', ')} · {t('settings.tokens.lastUsed', { when: formatFull(token.lastUsedAt) })}
                    {token.expiresAt ? ` · ${t('settings.tokens.expiresAt', { when: formatFull(token.expiresAt) })}` : ''}
                  </span>
                </span>
                <button type="button" className="btn btn-small btn-danger" disabled={busy} data-testid="token-revoke" onClick={() => void revoke(token)}>
                  {t('settings.tokens.revoke')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Modal>
  );
}
