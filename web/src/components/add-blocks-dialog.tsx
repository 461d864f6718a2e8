/** The people you refused group adds from (leaving a group with "don't let X add me again"); allow one again. */
import { useCallback, useEffect, useState } from 'react';
import type { AddBlockPage } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Avatar } from './avatar.js';
import { Modal } from './modal.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function AddBlocksDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const [blocks, setBlocks] = useState<AddBlockPage['blocks'] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const all: AddBlockPage['blocks'] = [];
      let cursor: string | undefined;
      do {
        const page = await store.api.listAddBlocks({ limit: 100, ...(cursor ? { cursor } : {}) });
        all.push(...page.blocks);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      setBlocks(all);
      setError(null);
    } catch (err) {
      setError(errorText(err, t('settings.blocks.action.load')));
    }
  }, [store]);

  useEffect(() => {
    void load();
  }, [load]);

  const allow = async (userId: string, name: string) => {
    setBusy(true);
    try {
      await store.api.unblockAdds(userId);
      toast(t('settings.blocks.allowed', { name }), 'info');
      await load();
    } catch (err) {
      setError(errorText(err, t('settings.blocks.action.allow')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={t('profile.groupAdds')} onClose={onClose} testId="add-blocks-dialog">
      <div className="form">
        <p className="muted">{t('settings.blocks.intro')}</p>
        {blocks === null && !error && <p className="muted">{t('common.loading')}</p>}
        {blocks?.length === 0 && <p className="muted">{t('settings.blocks.none')}</p>}
        {blocks && blocks.length > 0 && (
          <ul className="member-list" data-testid="add-block-list">
            {blocks.map((b) => (
              <li key={b.user.id} className="member" data-testid="add-block" data-user-id={b.user.id}>
                <Avatar user={b.user} size="sm" />
                <span className="member-text">
                  <span className="member-name">{b.user.displayName}</span>
                  <span className="muted">@{b.user.username}</span>
                </span>
                <button type="button" className="btn btn-small" disabled={busy} data-testid="add-block-allow" onClick={() => void allow(b.user.id, b.user.displayName)}>
                  {t('settings.blocks.allow')}
                </button>
              </li>
            ))}
          </ul>
        )}
        <FormError error={error} />
      </div>
    </Modal>
  );
}
