/** The list of keyboard shortcuts (`?` when not typing in a field; issue 21). */
import { useTranslation } from 'react-i18next';
import { Modal } from './modal.js';
import { autofocus } from './quick-switcher.js';

type Does = 'switcher' | 'search' | 'previous' | 'next' | 'previousUnread' | 'nextUnread' | 'markRead' | 'editLast' | 'list';

/** Each shortcut: its keys and the catalog key of what it does (shell.keys.do.*). */
const SHORTCUTS: readonly { keys: readonly string[]; does: Does }[] = [
  { keys: ['Ctrl/⌘', 'K'], does: 'switcher' },
  { keys: ['Ctrl/⌘', 'Shift', 'F'], does: 'search' },
  { keys: ['/'], does: 'search' },
  { keys: ['Alt', '↑'], does: 'previous' },
  { keys: ['Alt', '↓'], does: 'next' },
  { keys: ['Alt', 'Shift', '↑'], does: 'previousUnread' },
  { keys: ['Alt', 'Shift', '↓'], does: 'nextUnread' },
  { keys: ['Esc'], does: 'markRead' },
  { keys: ['↑'], does: 'editLast' },
  { keys: ['?'], does: 'list' },
];

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal title={t('shell.keys.listTitle')} onClose={onClose} testId="shortcuts-dialog">
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys.join('+')}>
              <td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && ' + '}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{t(`shell.keys.do.${s.does}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* This button takes the focus, so Esc and Enter both close. */}
      <button type="button" className="btn" data-testid="shortcuts-close" ref={autofocus} onClick={onClose}>
        {t('common.close')}
      </button>
    </Modal>
  );
}
