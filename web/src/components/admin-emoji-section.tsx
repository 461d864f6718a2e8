/** The Administration dialog's "Custom emoji": add an image under a name, delete one (docs/admin.md, "Custom emoji"). */
import { useState, type FormEvent } from 'react';
import { CUSTOM_EMOJI_NAME, standardEmoji, type CustomEmoji } from '../../../src/client/index.js';
import { CustomEmojiImage, useCustomEmoji, useEmojiImages } from '../custom-emoji.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { FormError } from './form-parts.js';
import './emoji-picker.css';

export function AdminEmojiSection() {
  const store = useStore();
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
    if (!CUSTOM_EMOJI_NAME.test(n)) return setError('A name is 1-64 of a-z, 0-9, _, + and -.');
    if (standardEmoji(n) !== undefined) return setError(`:${n}: is a standard emoji: choose another name.`);
    if (!file) return setError('Choose an image (PNG, GIF, JPEG or WebP).');
    setBusy(true);
    setError(null);
    try {
      await store.api.addEmoji(n, file);
      // The emoji.created frame adds it to every open page; this one fetches it now in case the socket is down.
      await store.loadEmoji().catch(() => undefined);
      toast(`:${n}: added.`, 'info');
      setName('');
      setFile(null);
      setFileKey((k) => k + 1);
    } catch (err) {
      setError(errorText(err, 'add the emoji'));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (emoji: CustomEmoji) => {
    setError(null);
    try {
      await store.api.deleteEmoji(emoji.name);
      await store.loadEmoji().catch(() => undefined);
      toast(`:${emoji.name}: deleted. Messages keep the text :${emoji.name}:.`, 'info');
    } catch (err) {
      setError(errorText(err, 'delete the emoji'));
    }
  };

  return (
    <section data-testid="admin-emoji">
      <h3>Custom emoji</h3>
      <p className="muted">Everyone can use these as :name: in messages and reactions. Deleting one leaves its :name: as text where it was used.</p>
      {list.length === 0 ? (
        <p className="muted">No custom emoji yet.</p>
      ) : (
        <ul className="admin-emoji-list" data-testid="admin-emoji-list">
          {list.map((e) => (
            <li key={e.name} data-testid="admin-emoji-row" data-name={e.name}>
              <CustomEmojiImage name={e.name} url={images.get(e.name) ?? e.url} />
              <span className="member-text">
                <code>:{e.name}:</code> <span className="muted">{e.creator ? `by ${e.creator.displayName}` : ''}</span>
              </span>
              <button type="button" className="btn btn-small btn-danger" data-testid="admin-emoji-delete" onClick={() => setDeleting(e)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form" onSubmit={(e) => void add(e)}>
        <label>
          Name
          <input data-testid="admin-emoji-name" value={name} maxLength={66} placeholder="party_parrot" autoCapitalize="off" spellCheck={false} onChange={(e) => setName(e.target.value.toLowerCase())} />
        </label>
        <label>
          Image (PNG, GIF, JPEG or WebP)
          <input key={fileKey} type="file" accept="image/png,image/gif,image/jpeg,image/webp" data-testid="admin-emoji-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <FormError error={error} testId="admin-emoji-error" />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="admin-emoji-add">
            Add emoji
          </button>
        </p>
      </form>
      {deleting && (
        <ConfirmDialog
          title="Delete custom emoji"
          text={`Delete :${deleting.name}:? Messages and reactions that used it show the text :${deleting.name}: instead.`}
          confirmLabel="Delete"
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        />
      )}
    </section>
  );
}
