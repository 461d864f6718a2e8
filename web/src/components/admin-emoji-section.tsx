/** The Administration dialog's "Custom emoji": add an image under a name, delete one (docs/admin.md, "Custom emoji"). */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CUSTOM_EMOJI_NAME, standardEmoji, type CustomEmoji } from '../../../src/client/index.js';
import { CustomEmojiImage, useCustomEmoji, useEmojiImages } from '../custom-emoji.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { FormError } from './form-parts.js';
import './emoji-picker.css';

export function AdminEmojiSection() {
  const store = useStore();
  const { t } = useTranslation();
  const list = useCustomEmoji();
  const images = useEmojiImages();
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<CustomEmoji | null>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim().replace(/^:|:$/g, '');
    if (!CUSTOM_EMOJI_NAME.test(n)) return setError(t('emoji.admin.badName'));
    if (standardEmoji(n) !== undefined) return setError(t('emoji.admin.standardName', { name: n }));
    if (!file) return setError(t('emoji.admin.needImage'));
    setBusy(true);
    setError(null);
    try {
      await store.api.addEmoji(n, file);
      // The emoji.created frame adds it to every open page; this one fetches it now in case the socket is down.
      await store.loadEmoji().catch(() => undefined);
      toast(t('emoji.admin.added', { name: n }), 'info');
      setName('');
      setFile(null);
      setFileKey((k) => k + 1);
    } catch (err) {
      setError(errorText(err, t('emoji.admin.action.add')));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (emoji: CustomEmoji) => {
    setError(null);
    try {
      await store.api.deleteEmoji(emoji.name);
      await store.loadEmoji().catch(() => undefined);
      toast(t('emoji.admin.deleted', { name: emoji.name }), 'info');
    } catch (err) {
      setError(errorText(err, t('emoji.admin.action.delete')));
    }
  };

  return (
    <section data-testid="admin-emoji">
      <h3>{t('emoji.admin.title')}</h3>
      <p className="muted">{t('emoji.admin.intro')}</p>
      {list.length === 0 ? (
        <p className="muted">{t('emoji.admin.none')}</p>
      ) : (
        <ul className="admin-emoji-list" data-testid="admin-emoji-list">
          {list.map((e) => (
            <li key={e.name} data-testid="admin-emoji-row" data-name={e.name}>
              <CustomEmojiImage name={e.name} url={images.get(e.name) ?? e.url} />
              <span className="member-text">
                <code>:{e.name}:</code> <span className="muted">{e.creator ? t('emoji.admin.by', { name: e.creator.displayName }) : ''}</span>
              </span>
              <button type="button" className="btn btn-small btn-danger" data-testid="admin-emoji-delete" onClick={() => setDeleting(e)}>
                {t('emoji.admin.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form" onSubmit={(e) => void add(e)}>
        <label>
          {t('emoji.admin.name')}
          <input data-testid="admin-emoji-name" value={name} maxLength={66} placeholder={t('emoji.admin.namePlaceholder')} autoCapitalize="off" spellCheck={false} onChange={(e) => setName(e.target.value.toLowerCase())} />
        </label>
        <label>
          {t('emoji.admin.image')}
          <input key={fileKey} type="file" accept="image/png,image/gif,image/jpeg,image/webp" data-testid="admin-emoji-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <FormError error={error} testId="admin-emoji-error" />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="admin-emoji-add">
            {t('emoji.admin.add')}
          </button>
        </p>
      </form>
      {deleting && (
        <ConfirmDialog
          title={t('emoji.admin.deleteTitle')}
          text={t('emoji.admin.deleteText', { name: deleting.name })}
          confirmLabel={t('emoji.admin.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        />
      )}
    </section>
  );
}
