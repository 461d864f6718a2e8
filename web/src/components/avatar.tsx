/** A user's picture (or initials on a colour of their own), with an optional presence dot. */
import type { User } from '../../../src/client/index.js';

const HUES = [210, 160, 20, 280, 340, 100, 45, 250, 190, 0];

function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length]!;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]!][0] ?? '?';
  const second = parts.length > 1 ? ([...parts[parts.length - 1]!][0] ?? '') : '';
  return (first + second).toLocaleUpperCase();
}

export interface AvatarProps {
  user?: (Pick<User, 'id' | 'displayName' | 'avatarUrl' | 'online'> & { erased?: boolean }) | null;
  /** For a group: its name. */
  name?: string;
  id?: string;
  size?: 'sm' | 'md' | 'lg';
  presence?: boolean;
}

export function Avatar({ user, name, id, size = 'md', presence = false }: AvatarProps) {
  const label = user?.displayName ?? name ?? '?';
  const key = user?.id ?? id ?? label;
  // An erased account ("Deleted user"): a neutral placeholder, no colour of its own.
  if (user?.erased) {
    return (
      <span className={`avatar avatar-${size} avatar-erased`} aria-hidden="true" data-testid="avatar-erased">
        <span className="avatar-initials" data-initials="?" />
      </span>
    );
  }
  // The initials are drawn by CSS (data-initials): a picture, not text, so a button with an
  // avatar and a label (the account menu, a thread's repliers) reads as its label alone.
  return (
    <span className={`avatar avatar-${size} hue-${hueOf(key)}`} aria-hidden="true">
      {user?.avatarUrl ? <img src={user.avatarUrl} alt="" loading="lazy" /> : <span className="avatar-initials" data-initials={initials(label)} />}
      {presence && user && <span className={`presence-dot ${user.online ? 'online' : 'offline'}`} data-testid="presence-dot" data-online={user.online ? 'true' : 'false'} />}
    </span>
  );
}
