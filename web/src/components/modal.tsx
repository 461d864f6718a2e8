/** A modal dialog on the native <dialog>: focus kept inside, Escape closes it, focus returns after. */
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId: string;
  wide?: boolean;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab from the last control goes to the first, Shift+Tab from the first to the last (a modal's page is inert, but the browser's own UI is not). */
function wrapFocus(dialog: HTMLDialogElement, e: KeyboardEvent<HTMLDialogElement>): void {
  const controls = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
  const first = controls[0];
  const last = controls[controls.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
    e.preventDefault();
    first.focus();
  }
}

export function Modal({ title, onClose, children, testId, wide }: ModalProps) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    const closed = () => onCloseRef.current();
    dialog.addEventListener('close', closed);
    return () => {
      // Not dialog.close(): its close event would arrive after a remount (React's StrictMode
      // mounts twice) and close the dialog again. Unmounting takes it off the screen anyway.
      dialog.removeEventListener('close', closed);
      if (!dialog.isConnected || !dialog.open) opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal modal-wide' : 'modal'}
      aria-label={title}
      data-testid={testId}
      onKeyDown={(e) => {
        if (e.key === 'Tab' && !e.defaultPrevented && ref.current) return wrapFocus(ref.current, e);
        // Escape closes at the first press, also from a search field (whose own Escape would
        // only clear it). A control inside that handled Escape itself (a menu) prevented it.
        // (An Escape that cancels an input method's composition, as in Chinese, is left to it.)
        if (e.key !== 'Escape' || e.defaultPrevented || e.nativeEvent.isComposing) return;
        e.preventDefault();
        ref.current?.close();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog itself, outside its content) closes it.
        if (e.target === ref.current) ref.current.close();
      }}
    >
      <div className="modal-body">
        <header className="modal-header">
          <h2>{title}</h2>
          <button type="button" className="icon-btn" aria-label={t('common.close')} data-testid="modal-close" onClick={() => ref.current?.close()}>
            ×
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}
