/**
 * "Set a status": an emoji and a short text next to your name for everyone who shares a
 * conversation with you, from a preset or your own, until an end you choose (or until cleared).
 */
import { useState, type FormEvent } from 'react';
import { useChat, useStore } from '../store/hooks.js';
import { formatFull } from '../format.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { liveStatus } from './user-status.js';
import { useUserAction } from './use-user-action.js';
import { EXPIRIES, STATUS_PRESETS, statusExpiresAt, type StatusExpiry } from './status-times.js';
import './status.css';
import { useTranslation } from 'react-i18next';

const STATUS_EMOJI = ['💬', '📅', '🚌', '🤒', '🌴', '🏠', '🎧', '🍽️', '☕', '🎯'];

export function StatusDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const current = liveStatus(me);
  const [emoji, setEmoji] = useState(current?.emoji ?? '');
  const [text, setText] = useState(current?.text ?? '');
  const [expiry, setExpiry] = useState<StatusExpiry>(current ? 'never' : 'today');
  // An existing status keeps its own end unless another is picked.
  const [keepEnd, setKeepEnd] = useState(Boolean(current?.expiresAt));
  const { busy, error, setError, run } = useUserAction(onClose);

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!emoji.trim() && !text.trim()) return setError(t('status.needText'));
    const end = keepEnd && current?.expiresAt ? current.expiresAt : (statusExpiresAt(expiry)?.toISOString() ?? null);
    void run(() => store.api.setStatus({ emoji: emoji.trim() || null, text: text.trim() || null, expiresAt: end }), t('status.action.set'));
  };

  return (
    <Modal title={t('status.setTitle')} onClose={onClose} testId="status-dialog">
      <form className="form" onSubmit={save}>
        <div className="status-input-row">
          <input className="status-emoji-input" aria-label={t('status.emojiLabel')} data-testid="status-emoji" value={emoji} maxLength={16} placeholder="💬" onChange={(e) => setEmoji(e.target.value)} />
          <input className="status-text-input" aria-label={t('status.textLabel')} data-testid="status-text" value={text} maxLength={100} placeholder={t('status.textPlaceholder')} onChange={(e) => setText(e.target.value)} autoFocus />
        </div>
        <div className="status-emoji-row" role="group" aria-label={t('status.emoji')}>
          {STATUS_EMOJI.map((x) => (
            <button key={x} type="button" className={`emoji-option${x === emoji ? ' selected' : ''}`} aria-label={t('status.use', { emoji: x })} aria-pressed={x === emoji} data-testid="status-emoji-option" onClick={() => setEmoji(x)}>
              {x}
            </button>
          ))}
        </div>
        <ul className="status-presets" aria-label={t('status.presets')}>
          {STATUS_PRESETS.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="status-preset"
                data-testid="status-preset"
                onClick={() => {
                  setEmoji(p.emoji);
                  setText(t(`status.preset.${p.id}`));
                  setExpiry(p.expiry);
                  setKeepEnd(false);
                }}
              >
                <span aria-hidden="true">{p.emoji}</span> {t(`status.preset.${p.id}`)} <span className="muted">— {t(`status.expiryShort.${p.expiry}`)}</span>
              </button>
            </li>
          ))}
        </ul>
        <label>
          {t('status.clearAfter')}
          <select
            data-testid="status-expiry"
            value={keepEnd ? 'keep' : expiry}
            onChange={(e) => {
              setKeepEnd(e.target.value === 'keep');
              if (e.target.value !== 'keep') setExpiry(e.target.value as StatusExpiry);
            }}
          >
            {keepEnd && current?.expiresAt && <option value="keep">{t('status.asSet', { when: formatFull(current.expiresAt) })}</option>}
            {EXPIRIES.map((k) => (
              <option key={k} value={k}>
                {t(`status.expiry.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <FormError error={error} />
        <div className="form-actions">
          {current && (
            <button type="button" className="btn" disabled={busy} data-testid="status-clear" onClick={() => void run(() => store.api.clearStatus(), t('status.action.clear'))}>
              {t('status.clear')}
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="status-save">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
