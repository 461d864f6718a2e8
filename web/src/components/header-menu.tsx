/** The conversation header's actions on a phone: one ⋯ button and a menu, so the title keeps its room. */
import { useRef, useState } from 'react';
import { useClickOutside } from '../use-click-outside.js';
import { useTranslation } from 'react-i18next';

export interface HeaderMenuItem {
  id: string;
  label: string;
  run: () => void;
}

export function HeaderMenu({ items }: { items: HeaderMenuItem[] }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useClickOutside(ref, open, () => setOpen(false));
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div className="menu-anchor header-menu" ref={ref}>
      <button
        ref={button}
        type="button"
        className="btn btn-small"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={t('common.moreActions')}
        data-testid="header-menu-button"
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <div
          className="menu menu-right"
          role="menu"
          data-testid="header-menu"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              close();
              return;
            }
            // Arrow keys move between the items, as in any menu.
            const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
            if (step === undefined) return;
            e.preventDefault();
            const all = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
            const i = all.indexOf(document.activeElement as HTMLButtonElement);
            all[(i + step + all.length) % all.length]?.focus();
          }}
        >
          {items.map((item, i) => (
            <button
              key={item.id}
              type="button"
              role="menuitem"
              data-testid={`header-menu-${item.id}`}
              autoFocus={i === 0}
              onClick={() => {
                setOpen(false);
                item.run();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
