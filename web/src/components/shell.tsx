/** The signed-in layout: sidebar (inbox) and the open conversation; on a phone, one at a time. */
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { navigate, navigateThread, useFullRoute } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { Avatar } from './avatar.js';
import { ConnectionBanner, ConnectionState, OutdatedNotice } from './connection.js';
import { ConversationView } from './conversation-view.js';
import { Inbox, inboxOrder } from './inbox.js';
import { dialogOpen, typingIn } from '../keyboard.js';
import { RemovalNotices } from './removal-notices.js';
import { DndBanner } from './dnd-banner.js';
import { dndUntil, liveStatus, UserStatus } from './user-status.js';
import { ThreadsEntry, ThreadsView } from './threads-view.js';
import type { JumpTarget } from '../jump-target.js';
import { useClickOutside } from '../use-click-outside.js';
import { showCountOnFavicon } from '../favicon-badge.js';
import { watchDesktopNotifications } from '../desktop-notify.js';
import { useTranslation } from 'react-i18next';
import { withStrings } from '../i18n/index.js';

// The dialogs are chunks of their own, loaded when first opened: the first screen does not need them.
const BrowseGroupsDialog = lazy(withStrings(() => import('./browse-groups-dialog.js').then((m) => ({ default: m.BrowseGroupsDialog }))));
const NewDirectDialog = lazy(withStrings(() => import('./new-direct-dialog.js').then((m) => ({ default: m.NewDirectDialog }))));
const NewGroupDialog = lazy(withStrings(() => import('./new-group-dialog.js').then((m) => ({ default: m.NewGroupDialog }))));
const ProfileDialog = lazy(withStrings(() => import('./profile-dialog.js').then((m) => ({ default: m.ProfileDialog }))));
const AdminDialog = lazy(withStrings(() => import('./admin-dialog.js').then((m) => ({ default: m.AdminDialog }))));
const SearchDialog = lazy(withStrings(() => import('./search-dialog.js').then((m) => ({ default: m.SearchDialog }))));
const StatusDialog = lazy(withStrings(() => import('./status-dialog.js').then((m) => ({ default: m.StatusDialog }))));
const PauseNotificationsDialog = lazy(withStrings(() => import('./pause-notifications-dialog.js').then((m) => ({ default: m.PauseNotificationsDialog }))));
const QuickSwitcher = lazy(withStrings(() => import('./quick-switcher.js').then((m) => ({ default: m.QuickSwitcher }))));
const ShortcutsDialog = lazy(withStrings(() => import('./shortcuts-dialog.js').then((m) => ({ default: m.ShortcutsDialog }))));

type Dialog = 'new-group' | 'browse-groups' | 'new-direct' | 'search' | 'switcher' | 'shortcuts' | 'profile' | 'admin' | 'status' | 'pause' | null;

export function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const route = useFullRoute();
  const activeId = route.view === 'conversation' ? route.conversationId : null;
  const threadId = route.view === 'conversation' ? route.threadId : null;
  const exists = useChat((s) => (activeId ? s.conversations[activeId] !== undefined : false));
  const inboxLoaded = useChat((s) => s.inboxLoaded);
  // Muted conversations do not count towards the title's badge.
  const totalUnread = useChat((s) => Object.values(s.conversations).reduce((n, c) => n + (c.unreadCount > 0 && !c.muted ? 1 : 0), 0));
  const [dialog, setDialog] = useState<Dialog>(null);
  const activeRef = useRef(activeId);
  activeRef.current = activeId;
  const [jump, setJump] = useState<JumpTarget | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);

  // A conversation that is gone (left, removed, deleted) or never was: back to the inbox.
  useEffect(() => {
    if (activeId && inboxLoaded && !exists) {
      const timer = setTimeout(() => {
        if (!store.getState().conversations[activeId]) navigate(null, true);
      }, 1500);
      return () => clearTimeout(timer);
    }
  }, [activeId, exists, inboxLoaded, store]);

  useEffect(() => {
    document.title = totalUnread > 0 ? `(${totalUnread}) Parley` : 'Parley';
    showCountOnFavicon(totalUnread);
  }, [totalUnread]);

  // New messages while the tab is hidden, as the user's levels allow (when turned on in Notifications).
  useEffect(() => watchDesktopNotifications(store), [store]);

  // The keyboard (issue 21): Ctrl/Cmd+K the quick switcher, Ctrl/Cmd+Shift+F (or / when not
  // typing) search, ? the list of shortcuts, Alt+↑/↓ the previous/next conversation of the inbox
  // (with Shift: the previous/next unread one). Keys a field or an open dialog handled are theirs.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && !e.altKey && !e.shiftKey && key === 'k') {
        e.preventDefault();
        setDialog('switcher');
      } else if (mod && !e.altKey && e.shiftKey && key === 'f') {
        e.preventDefault();
        setDialog('search');
      } else if (e.altKey && !mod && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        if (dialogOpen()) return;
        e.preventDefault();
        const s = store.getState();
        const order = inboxOrder(s.conversations, s.activity);
        const current = activeRef.current;
        const at = current ? order.findIndex((c) => c.id === current) : -1;
        const step = e.key === 'ArrowDown' ? 1 : -1;
        for (let i = at + step; i >= 0 && i < order.length; i += step) {
          if (!e.shiftKey || order[i]!.unreadCount > 0) return navigate(order[i]!.id);
        }
      } else if (!mod && !e.altKey && (e.key === '/' || e.key === '?') && !typingIn(e.target) && !dialogOpen()) {
        e.preventDefault();
        setDialog(e.key === '/' ? 'search' : 'shortcuts');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  useClickOutside(menuRef, menuOpen, () => setMenuOpen(false));

  const logout = async () => {
    setMenuOpen(false);
    try {
      await store.api.logout();
    } catch (err) {
      // Signed out here either way; the token may already be gone on the server.
      if (!(err as { status?: number }).status) toast(errorText(err, t('shell.signOutAction')));
    }
    onSignOut();
  };

  const open = (d: Dialog) => {
    setMenuOpen(false);
    setDialog(d);
  };

  return (
    <div className={`app ${activeId || route.view === 'threads' ? 'has-conversation' : 'no-conversation'}`} data-testid="app">
      <aside className="sidebar" data-testid="sidebar" aria-label={t('shell.sidebar')}>
        <header className="sidebar-header">
          <div className="menu-anchor" ref={menuRef}>
            <button
              type="button"
              className="me-btn"
              aria-haspopup="menu"
              aria-expanded={menuOpen}
              aria-label={t('shell.accountMenu', { name: me.displayName })}
              data-testid="account-menu-button"
              onClick={() => setMenuOpen(!menuOpen)}
              onKeyDown={(e) => e.key === 'Escape' && setMenuOpen(false)}
            >
              <Avatar user={me} size="sm" />
              <span className="me-name" data-testid="me-name">
                {me.displayName}
              </span>
              <UserStatus user={me} />
            </button>
            {menuOpen && (
              <div className="menu" role="menu" data-testid="account-menu" onKeyDown={(e) => e.key === 'Escape' && setMenuOpen(false)}>
                <button type="button" role="menuitem" data-testid="open-status" onClick={() => open('status')} autoFocus>
                  {liveStatus(me) ? t('shell.editStatus') : t('shell.setStatus')}
                </button>
                <button type="button" role="menuitem" data-testid="open-pause" onClick={() => open('pause')}>
                  {dndUntil(me) ? t('shell.notificationsPaused') : t('shell.pauseNotifications')}
                </button>
                <button type="button" role="menuitem" data-testid="open-profile" onClick={() => open('profile')}>
                  {t('shell.profile')}
                </button>
                {me.siteAdmin && (
                  <button type="button" role="menuitem" data-testid="open-admin" onClick={() => open('admin')}>
                    {t('shell.administration')}
                  </button>
                )}
                <button type="button" role="menuitem" data-testid="logout" onClick={() => void logout()}>
                  {t('shell.signOut')}
                </button>
              </div>
            )}
          </div>
          <ConnectionState />
        </header>
        <DndBanner />
        <div className="sidebar-actions">
          <button type="button" className="btn btn-small" data-testid="open-new-direct" onClick={() => open('new-direct')}>
            {t('shell.newChat')}
          </button>
          <button type="button" className="btn btn-small" data-testid="open-new-group" onClick={() => open('new-group')}>
            {t('shell.newGroup')}
          </button>
          <button type="button" className="btn btn-small" data-testid="open-browse-groups" onClick={() => open('browse-groups')}>
            {t('shell.browse')}
          </button>
          <button type="button" className="icon-btn" aria-label={t('shell.search')} title={t('shell.search')} data-testid="open-search" onClick={() => open('search')}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" strokeWidth="2" />
              <path d="M15.5 15.5 21 21" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        </div>
        <ThreadsEntry active={route.view === 'threads'} />
        <Inbox activeId={activeId} />
      </aside>
      <main className="main">
        <OutdatedNotice />
        <ConnectionBanner />
        <RemovalNotices />
        {route.view === 'threads' ? (
          <ThreadsView />
        ) : activeId && exists ? (
          <ConversationView key={activeId} id={activeId} threadId={threadId} jump={jump?.conversationId === activeId ? jump : null} onJumped={() => setJump(null)} />
        ) : (
          <div className="empty-main" data-testid="no-conversation">
            {activeId && !inboxLoaded ? t('common.loading') : activeId ? t('shell.notAvailable') : t('shell.pick')}
          </div>
        )}
      </main>
      <Suspense fallback={null}>
        {dialog === 'new-group' && <NewGroupDialog onClose={() => setDialog(null)} />}
        {dialog === 'browse-groups' && <BrowseGroupsDialog onClose={() => setDialog(null)} />}
        {dialog === 'new-direct' && <NewDirectDialog onClose={() => setDialog(null)} />}
        {dialog === 'profile' && <ProfileDialog onClose={() => setDialog(null)} />}
        {dialog === 'admin' && <AdminDialog onClose={() => setDialog(null)} />}
        {dialog === 'status' && <StatusDialog onClose={() => setDialog(null)} />}
        {dialog === 'pause' && <PauseNotificationsDialog onClose={() => setDialog(null)} />}
        {dialog === 'switcher' && <QuickSwitcher onClose={() => setDialog(null)} />}
        {dialog === 'shortcuts' && <ShortcutsDialog onClose={() => setDialog(null)} />}
        {dialog === 'search' && (
          <SearchDialog
            onClose={() => setDialog(null)}
            onOpen={(target) => {
              setDialog(null);
              setJump(target);
              if (target.threadId) navigateThread(target.conversationId, target.threadId);
              else navigate(target.conversationId);
            }}
          />
        )}
      </Suspense>
    </div>
  );
}
