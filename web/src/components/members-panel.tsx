/** A group's details and members: roles, and the actions the caller's role allows. */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { Conversation, Member, Role } from '../../../src/client/index.js';
import { navigate } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { AppBadge, UserStatus } from './user-status.js';
import { Avatar } from './avatar.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { MailIcon } from './icons.js';
import { UserPicker } from './user-picker.js';
import { useTranslation } from 'react-i18next';
import { withStrings } from '../i18n/index.js';

// Loaded when first opened (a chunk of its own).
const GroupSettingsDialog = lazy(withStrings(() => import('./group-settings-dialog.js').then((m) => ({ default: m.GroupSettingsDialog }))));

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2 };
const NO_MEMBERS: Member[] = [];

/** `action` says what failed, in an error: "leave the group". */
type Confirm = { title: string; text: string; label: string; action: string; run: () => Promise<void> } | null;

export function MembersPanel({ conversation, onClose }: { conversation: Conversation; onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const id = conversation.id;
  const members = useChat((s) => s.members[id] ?? NO_MEMBERS);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const [editing, setEditing] = useState(false);
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<Confirm>(null);

  useEffect(() => {
    store.loadMembers(id).catch((err: unknown) => toast(errorText(err, t('members.action.load'))));
  }, [store, id]);

  const mine = members.find((m) => m.user.id === me.id);
  const myRole = mine?.role;
  // Added by someone else: leaving can also refuse their further adds (issue 26.4).
  const adderId = mine?.addedBy && mine.addedBy !== me.id ? mine.addedBy : null;
  const adder = adderId ? (users[adderId] ?? members.find((m) => m.user.id === adderId)?.user ?? null) : null;
  const adderName = adder ? adder.displayName : t('members.theAdder');
  const isOwner = myRole === 'owner';
  const isAdmin = isOwner || myRole === 'admin';
  const sorted = [...members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user.displayName.localeCompare(b.user.displayName));

  const run = (p: Promise<void>, action: string) => void p.catch((err: unknown) => toast(errorText(err, action)));

  const changeRole = (m: Member, role: Role) => {
    if (role === 'owner') {
      setConfirm({
        title: t('members.handOver'),
        text: t('members.handOverText', { name: m.user.displayName, group: conversation.name }),
        label: t('members.makeOwner'),
        action: t('members.action.handOver'),
        run: () => store.setRole(id, m.user.id, 'owner'),
      });
    } else run(store.setRole(id, m.user.id, role), t('members.action.changeRole'));
  };

  return (
    <aside className="members-panel" id="members-panel" data-testid="members-panel" aria-label={t('members.details')}>
      <header className="panel-header">
        <h2>{t('members.detailsTitle')}</h2>
        <button type="button" className="icon-btn" aria-label={t('members.closeDetails')} data-testid="members-panel-close" onClick={onClose}>
          ×
        </button>
      </header>
      {editing && (
        <Suspense fallback={null}>
          <GroupSettingsDialog conversation={conversation} onClose={() => setEditing(false)} />
        </Suspense>
      )}
      <div className="group-about">
        <h3 data-testid="group-name">{conversation.name}</h3>
        {conversation.description && <p className="group-description" data-testid="group-description">{conversation.description}</p>}
        <p className="muted">{conversation.visibility === 'public' ? t('members.publicGroup') : t('members.privateGroup')}</p>
        {isAdmin && (
          <button type="button" className="btn btn-small" data-testid="edit-group" onClick={() => setEditing(true)}>
            {t('members.editGroup')}
          </button>
        )}
      </div>
      <h3 className="panel-section">
        {t('common.members')} <span className="muted">({members.length || conversation.memberCount})</span>
      </h3>
      {isAdmin &&
        (adding ? (
          <div
            className="add-member"
            data-testid="add-member"
            onKeyDown={(e) => {
              // Escape closes the search at the first press (not only clears its field).
              if (e.key !== 'Escape' || e.defaultPrevented || e.nativeEvent.isComposing) return;
              e.preventDefault();
              setAdding(false);
            }}
          >
            <UserPicker
              label={t('members.addMember')}
              actionLabel={t('common.add')}
              exclude={new Set(members.map((m) => m.user.id))}
              onPick={(u) => run(store.addMember(id, u.id).then(() => toast(t('members.added', { name: u.displayName }), 'info')), t('members.action.add'))}
            />
            <button type="button" className="btn btn-small" onClick={() => setAdding(false)}>
              {t('common.done')}
            </button>
          </div>
        ) : (
          <button type="button" className="btn btn-small" data-testid="open-add-member" onClick={() => setAdding(true)}>
            {t('members.addPeople')}
          </button>
        ))}
      <ul className="member-list" data-testid="member-list">
        {sorted.map((m) => {
          const u = users[m.user.id] ?? m.user;
          const self = u.id === me.id;
          const canRemove = !self && m.role !== 'owner' && (isOwner || (isAdmin && m.role === 'member'));
          return (
            <li key={u.id} className="member" data-testid="member" data-user-id={u.id} data-username={u.username} data-role={m.role}>
              <Avatar user={u} size="sm" presence />
              <span className="member-text">
                <span className="member-name">
                  {u.displayName}
                  <AppBadge user={u} />
                  <UserStatus user={u} />
                  {self && <span className="muted"> {t('members.you')}</span>}
                </span>
                <span className="muted">@{u.username}</span>
              </span>
              {isOwner && !self ? (
                <select className="role-select" aria-label={t('members.roleOf', { name: u.displayName })} data-testid="member-role-select" value={m.role} onChange={(e) => changeRole(m, e.target.value as Role)}>
                  <option value="member">{t('members.role.member')}</option>
                  <option value="admin">{t('members.role.admin')}</option>
                  <option value="owner">{t('members.role.owner')}</option>
                </select>
              ) : (
                m.role !== 'member' && (
                  <span className={`role role-${m.role}`} data-testid="member-role">
                    {t(`members.role.${m.role}`)}
                  </span>
                )
              )}
              {!self && (
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={t('members.messageTo', { name: u.displayName })}
                  title={t('members.directMessage')}
                  data-testid="member-message"
                  onClick={() => run(store.openDirect(u.id).then((c) => navigate(c.id)), t('members.action.openChat'))}
                >
                  <MailIcon />
                </button>
              )}
              {canRemove && (
                <button
                  type="button"
                  className="icon-btn danger"
                  aria-label={t('common.remove', { name: u.displayName })}
                  title={t('members.removeFromGroup')}
                  data-testid="member-remove"
                  onClick={() =>
                    setConfirm({
                      title: t('members.removeTitle'),
                      text: t('members.removeText', { name: u.displayName, group: conversation.name }),
                      label: t('members.removeTitle'),
                      action: t('members.action.remove'),
                      run: () => store.removeMember(id, u.id),
                    })
                  }
                >
                  ×
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <div className="panel-footer">
        <button
          type="button"
          className="btn btn-small"
          data-testid="leave-group"
          onClick={() =>
            isOwner && members.length > 1
              ? toast(t('members.ownerCannotLeave'), 'info')
              : setConfirm({
                  title: t('members.leaveGroup'),
                  text: t('members.leaveText', { group: conversation.name }),
                  label: t('common.leave'),
                  action: t('members.action.leave'),
                  run: () => store.leaveGroup(id).then(() => navigate(null, true)),
                })
          }
        >
          {t('members.leaveGroup')}
        </button>
        {adderId && !isOwner && (
          <button
            type="button"
            className="btn btn-small btn-wrap"
            data-testid="leave-and-block"
            title={t('members.leaveBlockHint', { name: adderName })}
            onClick={() =>
              setConfirm({
                title: t('members.leaveBlockTitle'),
                text: t('members.leaveBlockText', { group: conversation.name, name: adderName }),
                label: t('members.leaveBlockLabel'),
                action: t('members.action.leaveBlock'),
                run: () =>
                  store.leaveGroup(id, { blockAdder: true }).then(() => {
                    toast(t('members.leftBlocked', { group: conversation.name ?? t('members.theGroup'), name: adderName }), 'info');
                    navigate(null, true);
                  }),
              })
            }
          >
            {t('members.leaveBlockButton', { name: adder ? adder.displayName : t('members.them') })}
          </button>
        )}
        {isOwner && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            data-testid="delete-group"
            onClick={() =>
              setConfirm({
                title: t('members.deleteGroup'),
                text: t('members.deleteText', { group: conversation.name }),
                label: t('members.deleteGroup'),
                action: t('members.action.delete'),
                run: () => store.deleteGroup(id).then(() => navigate(null, true)),
              })
            }
          >
            {t('members.deleteGroup')}
          </button>
        )}
      </div>
      {confirm && <ConfirmDialog title={confirm.title} text={confirm.text} confirmLabel={confirm.label} onClose={() => setConfirm(null)} onConfirm={() => run(confirm.run(), confirm.action)} />}
    </aside>
  );
}
