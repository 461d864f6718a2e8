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

const SCOPE_TEXT: Record<TokenScope, string> = {
  read: 'Read: conversations, messages, people (always on)',
  write: 'Write: send and edit messages, react, manage groups, upload',
  admin: 'Administer the site (site admins only)',
  tokens: 'Create and revoke API tokens and bots',
  sessions: 'See and sign out your devices',
  account: 'Change your password and e-mail, download your data, delete your account',
};

export function ApiTokensDialog({ onClose }: { onClose: () => void }) {
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
      setError(errorText(err, 'load your tokens'));
    }
  }, [api]);
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
    if (!name.trim()) return setError('Give the token a name.');
    setBusy(true);
    setError(null);
    try {
      const t = await api.createToken({ name: name.trim(), scopes: TOKEN_SCOPES.filter((x) => scopes.has(x)), ...(days ? { expiresInDays: Number(days) } : {}) });
      setCreated(t.token);
      setName('');
      await load();
    } catch (err) {
      setError(errorText(err, 'create the token'));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: ApiTokenInfo) => {
    setBusy(true);
    try {
      await api.revokeToken(t.id);
      toast(`Token “${t.name}” revoked, with the tokens it made.`, 'info');
      await load();
    } catch (err) {
      setError(errorText(err, 'revoke the token'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="API tokens" onClose={onClose} testId="api-tokens-dialog">
      <form className="form" onSubmit={(e) => void create(e)}>
        <p className="muted">A token lets a script act as you, within the scopes you give it. Give each script its own token, with no more than it needs.</p>
        <label>
          Name
          <input data-testid="token-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} placeholder="CI notifier" />
        </label>
        <label>
          Expires after (days; empty: never)
          <input data-testid="token-days" type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <fieldset className="token-scopes">
          <legend>Scopes</legend>
          {TOKEN_SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input type="checkbox" data-testid={`token-scope-${scope}`} checked={scopes.has(scope)} disabled={scope === 'read'} onChange={() => toggle(scope)} />
              {SCOPE_TEXT[scope]}
            </label>
          ))}
        </fieldset>
        <FormError error={error} />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="token-create">
            Create token
          </button>
        </p>
        {created && (
          <div className="token-created" role="status">
            <p>Copy it now: it is not shown again.</p>
            <input readOnly value={created} data-testid="token-secret" onFocus={(e) => e.currentTarget.select()} />
          </div>
        )}
      </form>
      <div className="form">
        <h3>Your tokens</h3>
        {tokens?.length === 0 && <p className="muted">No tokens.</p>}
        {tokens && tokens.length > 0 && (
          <ul className="member-list" data-testid="token-list">
            {tokens.map((t) => (
              <li key={t.id} className="member" data-testid="token-row" data-token-id={t.id}>
                <span className="member-text">
                  <span className="member-name">{t.name}</span>
                  <span className="muted" data-testid="token-row-scopes">
                    {t.scopes.join(', ')} · last used {formatFull(t.lastUsedAt)}
                    {t.expiresAt ? ` · expires ${formatFull(t.expiresAt)}` : ''}
                  </span>
                </span>
                <button type="button" className="btn btn-small btn-danger" disabled={busy} data-testid="token-revoke" onClick={() => void revoke(t)}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Modal>
  );
}
