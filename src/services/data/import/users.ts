/**
 * An import's people: each source user is the account an earlier run matched or made, else the
 * live account with the same e-mail address, else a new account, deactivated and without a
 * password, until its owner claims it (docs/admin.md, "Importing from Slack or Mattermost").
 */
import { randomBytes } from 'node:crypto';
import { cleanDisplayText } from '../../../core/display-text.js';
import { newId } from '../../../core/ids.js';
import type { Db } from '../../../db/database.js';
import { inTransaction, type Repositories } from '../../../db/repositories/index.js';
import { checkEmail } from '../../identity/email-address.js';
import { isReservedUsername } from '../../messaging/mention-all.js';
import type { ImportSourceKind, SourceUser } from './model.js';

export interface Person {
  id: string;
  username: string;
}

export interface PeopleCounts {
  matched: number;
  created: number;
  known: number;
}

/** Users handled per transaction. */
const CHUNK = 500;

/** A username as Parley allows them (3-32 of A-Z a-z 0-9 _ . -) made from the source's. */
export function usernameBase(wanted: string): string {
  let name = wanted.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '');
  if (name.length > 32) name = name.slice(0, 32);
  if (name.length < 3) name = `${name || 'user'}_imported`.slice(0, 32);
  return name;
}

function candidate(base: string, attempt: number): string {
  if (attempt === 0) return base;
  const suffix = attempt < 5 ? `_${attempt + 1}` : `_${randomBytes(3).toString('hex')}`;
  return `${base.slice(0, 32 - suffix.length)}${suffix}`;
}

function validEmail(raw: string | null): string | null {
  if (!raw) return null;
  try {
    return checkEmail(raw);
  } catch {
    return null;
  }
}

/** Resolves every source user to a Parley account (creating those missing); key → person. */
export async function importPeople(
  db: Db,
  repos: Repositories,
  source: ImportSourceKind,
  users: AsyncIterable<SourceUser>,
): Promise<{ people: Map<string, Person>; counts: PeopleCounts }> {
  const people = new Map<string, Person>();
  const counts: PeopleCounts = { matched: 0, created: 0, known: 0 };
  let chunk: SourceUser[] = [];
  const flush = async (): Promise<void> => {
    await inTransaction(db, (tx) => resolveChunk(tx, source, chunk, people, counts));
    chunk = [];
  };
  for await (const u of users) {
    chunk.push(u);
    if (chunk.length >= CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return { people, counts };
}

async function resolveChunk(tx: Pick<Repositories, 'imports'>, source: ImportSourceKind, chunk: SourceUser[], people: Map<string, Person>, counts: PeopleCounts): Promise<void> {
  // Two runs at once: the second waits here, then finds the people the first made.
  await tx.imports.lockSource(source);
  const keys = await tx.imports.findKeys(source, 'user', chunk.map((u) => u.key));
  const known = await tx.imports.usersByIds([...keys.values()]);
  const emails = chunk.map((u) => validEmail(u.email)).filter((e): e is string => e !== null);
  const byEmail = await tx.imports.usersByEmail(emails);
  const fresh: SourceUser[] = [];
  const newKeys: { source: ImportSourceKind; kind: 'user'; externalId: string; parleyId: string; claimable: boolean }[] = [];
  for (const u of chunk) {
    const earlier = known.get(keys.get(u.key) ?? '');
    const email = validEmail(u.email);
    const matched = email ? byEmail.get(email.toLowerCase()) : undefined;
    if (earlier) {
      people.set(u.key, earlier);
      counts.known++;
    } else if (matched) {
      people.set(u.key, matched);
      newKeys.push({ source, kind: 'user', externalId: u.key, parleyId: matched.id, claimable: false });
      counts.matched++;
    } else {
      fresh.push(u);
    }
  }
  const taken = await tx.imports.takenUsernames(fresh.map((u) => usernameBase(u.username)));
  for (const u of fresh) {
    const base = usernameBase(u.username);
    const displayName = [...cleanDisplayText(u.displayName || u.username)].slice(0, 64).join('') || base;
    const email = validEmail(u.email);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 20) throw new Error(`no free username for the imported user ${u.key}`);
      const username = candidate(base, attempt);
      if (taken.has(username.toLowerCase()) || isReservedUsername(username)) continue;
      taken.add(username.toLowerCase());
      // Deactivated and without a password: nobody can sign in as them until they claim the account.
      // (Past a few clashes the address is dropped: it may be what clashes, taken meanwhile.)
      const made = await tx.imports.insertUser({ id: newId(), username, displayName, email: attempt < 10 ? email : null, passwordHash: null, deactivatedAt: new Date() });
      if (!made) continue;
      people.set(u.key, made);
      newKeys.push({ source, kind: 'user', externalId: u.key, parleyId: made.id, claimable: true });
      counts.created++;
      break;
    }
  }
  await tx.imports.insertKeys(newKeys);
}
