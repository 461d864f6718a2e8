/** A group's details and members: roles, and the actions the caller's role allows. */
import { useEffect, useState } from 'react';
import type { Conversation, Member, Role } from '../../../src/client/index.js';
import { navigate } from '../router.js';
import { useChat, useStore } from '../store/hooks.js';
import { errorText, toast } from '../toasts.js';
import { AppBadge, UserStatus } from './user-status.js';
import { Avatar } from './avatar.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { GroupSettingsDialog } from './group-settings-dialog.js';
import { MailIcon } from './icons.js';
import { UserPicker } from './user-picker.js';

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2 };
const NO_MEMBERS: Member[] = [];

type Confirm = { title: string; text: string; label: string; run: () => Promise<void> } | null;

export function MembersPanel({ conversation, onClose }: { conversation: Conversation; onClose: () => void }) {
  const store = useStore();
  const id = conversation.id;
  const members = useChat((s) => s.members[id] ?? NO_MEMBERS);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const [editing, setEditing] = useState(false);
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<Confirm>(null);

  useEffect(() => {
    store.loadMembers(id).catch((err: unknown) => toast(errorText(err, 'load the members')));
  }, [store, id]);

  const mine = members.find((m) => m.user.id === me.id);
  const myRole = mine?.role;
  // Added by someone else: leaving can also refuse their further adds (issue 26.4).
  const adderId = mine?.addedBy && mine.addedBy !== me.id ? mine.addedBy : null;
  const adder = adderId ? (users[adderId] ?? members.find((m) => m.user.id === adderId)?.user ?? null) : null;
  const adderName = adder ? adder.displayName : 'the person who added you';
  const isOwner = myRole === 'owner';
  const isAdmin = isOwner || myRole === 'admin';
  const sorted = [...members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user.displayName.localeCompare(b.user.displayName));

  const run = (p: Promise<void>, action: string) => void p.catch((err: unknown) => toast(errorText(err, action)));

  const changeRole = (m: Member, role: Role) => {
    if (role === 'owner') {
      setConfirm({
        title: 'Hand over ownership',
        text: `Make ${m.user.displayName} the owner of ${conversation.name}? You will become an admin.`,
        label: 'Make owner',
        run: () => store.setRole(id, m.user.id, 'owner'),
      });
    } else run(store.setRole(id, m.user.id, role), 'change the role');
  };

  return (
    <aside className="members-panel" id="members-panel" data-testid="members-panel" aria-label="Group details">
      <header className="panel-header">
        <h2>Details</h2>
        <button type="button" className="icon-btn" aria-label="Close details" data-testid="members-panel-close" onClick={onClose}>
          ×
        </button>
      </header>
      {editing && <GroupSettingsDialog conversation={conversation} onClose={() => setEditing(false)} />}
      <div className="group-about">
        <h3 data-testid="group-name">{conversation.name}</h3>
        {conversation.description && <p className="group-description" data-testid="group-description">{conversation.description}</p>}
        <p className="muted">{conversation.visibility === 'public' ? 'Public group: anyone can join.' : 'Private group.'}</p>
        {isAdmin && (
          <button type="button" className="btn btn-small" data-testid="edit-group" onClick={() => setEditing(true)}>
            Edit group
          </button>
        )}
      </div>
      <h3 className="panel-section">
        Members <span className="muted">({members.length || conversation.memberCount})</span>
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
              label="Add a member"
              actionLabel="Add"
              exclude={new Set(members.map((m) => m.user.id))}
              onPick={(u) => run(store.addMember(id, u.id).then(() => toast(`${u.displayName} was added.`, 'info')), 'add the member')}
            />
            <button type="button" className="btn btn-small" onClick={() => setAdding(false)}>
              Done
            </button>
          </div>
        ) : (
          <button type="button" className="btn btn-small" data-testid="open-add-member" onClick={() => setAdding(true)}>
            Add people
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
                  {self && <span className="muted"> (you)</span>}
                </span>
                <span className="muted">@{u.username}</span>
              </span>
              {isOwner && !self ? (
                <select className="role-select" aria-label={`Role of ${u.displayName}`} data-testid="member-role-select" value={m.role} onChange={(e) => changeRole(m, e.target.value as Role)}>
                  <option value="member">Member</option>
                  <option value="admin">Admin</option>
                  <option value="owner">Owner</option>
                </select>
              ) : (
                m.role !== 'member' && (
                  <span className={`role role-${m.role}`} data-testid="member-role">
                    {m.role}
                  </span>
                )
              )}
              {!self && (
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Message ${u.displayName}`}
                  title="Direct message"
                  data-testid="member-message"
                  onClick={() => run(store.openDirect(u.id).then((c) => navigate(c.id)), 'open the chat')}
                >
                  <MailIcon />
                </button>
              )}
              {canRemove && (
                <button
                  type="button"
                  className="icon-btn danger"
                  aria-label={`Remove ${u.displayName}`}
                  title="Remove from group"
                  data-testid="member-remove"
                  onClick={() =>
                    setConfirm({ title: 'Remove member', text: `Remove ${u.displayName} from ${conversation.name}?`, label: 'Remove', run: () => store.removeMember(id, u.id) })
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
              ? toast('You own this group: make someone else the owner before leaving.', 'info')
              : setConfirm({
                  title: 'Leave group',
                  text: `Leave ${conversation.name}?`,
                  label: 'Leave',
                  run: () => store.leaveGroup(id).then(() => navigate(null, true)),
                })
          }
        >
          Leave group
        </button>
        {adderId && !isOwner && (
          <button
            type="button"
            className="btn btn-small btn-wrap"
            data-testid="leave-and-block"
            title={`Leave, and refuse being added to groups by ${adderName} (Your profile → Group adds lifts it)`}
            onClick={() =>
              setConfirm({
                title: 'Leave and block adds',
                text: `Leave ${conversation.name}? ${adderName} added you, and will not be able to add you to any group again.`,
                label: 'Leave and block',
                run: () =>
                  store.leaveGroup(id, { blockAdder: true }).then(() => {
                    toast(`You left ${conversation.name ?? 'the group'}; ${adderName} can no longer add you to groups.`, 'info');
                    navigate(null, true);
                  }),
              })
            }
          >
            Leave and don’t let {adder ? adder.displayName : 'them'} add me again
          </button>
        )}
        {isOwner && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            data-testid="delete-group"
            onClick={() =>
              setConfirm({
                title: 'Delete group',
                text: `Delete ${conversation.name} and all its messages for everyone? This cannot be undone.`,
                label: 'Delete group',
                run: () => store.deleteGroup(id).then(() => navigate(null, true)),
              })
            }
          >
            Delete group
          </button>
        )}
      </div>
      {confirm && <ConfirmDialog title={confirm.title} text={confirm.text} confirmLabel={confirm.label} onClose={() => setConfirm(null)} onConfirm={() => run(confirm.run(), confirm.label.toLowerCase())} />}
    </aside>
  );
}
