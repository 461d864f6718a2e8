/**
 * A Mattermost bulk export (JSONL: https://docs.mattermost.com/onboard/bulk-loading-data-format.html):
 * a `version` line, then `team`, `channel`, `user` (with the channels each user belongs to),
 * `post` (with its `replies` and `reactions`), `direct_channel` and `direct_post` lines.
 * check() reads it once, line by line, and remembers where each post line is (its time and byte
 * range, per conversation); messages() sorts one conversation's posts by time and reads just
 * those lines again, merging the replies in by time. Attachments are read from their `path`,
 * relative to the JSONL file's folder (never outside it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readLineAt, readLines } from './jsonl-lines.js';
import { ImportFormatError, type ImportSource, type SourceCheck, type SourceConversation, type SourceFile, type SourceMessage, type SourceUser } from './model.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** Line types read; the others (scheme, emoji, role, bot…) are passed over. */
const ORDER = ['version', 'team', 'channel', 'user', 'post', 'direct_channel', 'direct_post'];
const MENTION = /(?<![\p{L}\p{N}_.@-])@([a-z0-9_.-]+[a-z0-9_-])/giu;

interface PostIndex {
  at: number[];
  offset: number[];
  length: number[];
  line: number[];
}

interface Pending {
  at: number;
  message: SourceMessage;
}

export class MattermostSource implements ImportSource {
  readonly kind = 'mattermost' as const;
  private readonly dir: string;
  private readonly name: string;
  private userList: SourceUser[] = [];
  private usernames = new Set<string>();
  private convs = new Map<string, SourceConversation>();
  private posts = new Map<string, PostIndex>();
  skipped = 0;

  constructor(private readonly file: string) {
    this.dir = path.dirname(path.resolve(file));
    this.name = path.basename(file);
  }

  async check(onMessages?: (read: number) => void): Promise<SourceCheck> {
    let rank = -1;
    let messages = 0;
    let sawVersion = false;
    try {
      for await (const line of readLines(this.file)) {
        if (line.text.trim() === '') continue;
        const fail = (reason: string): never => {
          throw new ImportFormatError(this.name, line.no, reason);
        };
        let obj: unknown;
        try {
          obj = JSON.parse(line.text);
        } catch (err) {
          return fail(`invalid JSON (${(err as Error).message})`);
        }
        if (!isObject(obj) || typeof obj.type !== 'string') return fail('expected an object with a "type"');
        if (!sawVersion) {
          if (obj.type !== 'version' || obj.version !== 1) fail('the first line must be {"type":"version","version":1}');
          sawVersion = true;
        }
        const at = ORDER.indexOf(obj.type);
        if (at === -1) continue;
        if (at < rank) fail(`a "${obj.type}" line after "${ORDER[rank]}" lines (the format's order: ${ORDER.join(', ')})`);
        rank = at;
        const body = obj[obj.type];
        if (obj.type !== 'version' && !isObject(body)) fail(`"${obj.type}" must be an object`);
        const b = body as Json;
        switch (obj.type) {
          case 'channel':
            this.readChannel(b, fail);
            break;
          case 'user':
            this.readUser(b, fail);
            break;
          case 'direct_channel':
            this.directConversation(b.members, fail);
            break;
          case 'post':
          case 'direct_post': {
            const key = obj.type === 'post' ? this.channelKey(b, fail) : this.directConversation(b.channel_members, fail).key;
            messages += this.checkPost(b, fail);
            const index = this.posts.get(key) ?? { at: [], offset: [], length: [], line: [] };
            index.at.push(b.create_at as number);
            index.offset.push(line.offset);
            index.length.push(line.length);
            index.line.push(line.no);
            this.posts.set(key, index);
            if (messages % 1000 < 50) onMessages?.(messages);
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof ImportFormatError) throw err;
      throw new ImportFormatError(this.name, null, `cannot be read (${(err as Error).message})`);
    }
    if (!sawVersion) throw new ImportFormatError(this.name, 1, 'empty: the first line must be {"type":"version","version":1}');
    onMessages?.(messages);
    return { users: this.userList.length, conversations: this.convs.size, messages };
  }

  private readChannel(c: Json, fail: (reason: string) => never): void {
    const team = str(c.team);
    const name = str(c.name);
    if (!team || !name) fail('a channel needs "team" and "name"');
    if (c.type !== 'O' && c.type !== 'P') fail('a channel\'s "type" is "O" (public) or "P" (private)');
    const key = `${team}/${name}`;
    if (this.convs.has(key)) fail(`channel ${key} is defined twice`);
    this.convs.set(key, {
      key,
      kind: c.type === 'O' ? 'public' : 'private',
      name: str(c.display_name) || name,
      description: str(c.purpose) || str(c.header) || null,
      createdAt: null,
      creatorKey: null,
      memberKeys: [],
    });
  }

  private readUser(u: Json, fail: (reason: string) => never): void {
    const username = str(u.username);
    if (!username) fail('a user needs a "username"');
    if (this.usernames.has(username!)) fail(`user ${username} is defined twice`);
    const full = [str(u.first_name), str(u.last_name)].filter(Boolean).join(' ');
    this.userList.push({ key: username!, username: username!, displayName: str(u.nickname) || full || username!, email: str(u.email) || null });
    this.usernames.add(username!);
    for (const team of Array.isArray(u.teams) ? u.teams : []) {
      if (!isObject(team) || !str(team.name)) fail(`user ${username}: a team needs a "name"`);
      for (const ch of Array.isArray(team.channels) ? team.channels : []) {
        if (!isObject(ch) || !str(ch.name)) fail(`user ${username}: a channel needs a "name"`);
        const conv = this.convs.get(`${str(team.name)}/${str(ch.name)}`);
        if (!conv) fail(`user ${username}: channel ${str(team.name)}/${str(ch.name)} is not defined (channel lines come first)`);
        conv!.memberKeys.push(username!);
        // The first channel admin owns the group.
        if (!conv!.creatorKey && /\bchannel_admin\b/.test(str(ch.roles) ?? '')) conv!.creatorKey = username!;
      }
    }
  }

  private channelKey(p: Json, fail: (reason: string) => never): string {
    const key = `${str(p.team)}/${str(p.channel)}`;
    if (!this.convs.has(key)) fail(`post in channel ${key}, which is not defined`);
    return key;
  }

  /** The direct conversation (or group message, 3+ people) of these members, defined on first sight. */
  private directConversation(members: unknown, fail: (reason: string) => never): SourceConversation {
    if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) return fail('"members" must be a list of usernames');
    const names = [...new Set(members as string[])].sort();
    for (const n of names) if (!this.usernames.has(n)) fail(`member ${n} is not a user of the export`);
    // One member: someone's notes to themselves (Parley has no such conversation: skipped, counted).
    if (names.length < 1) fail('a direct channel needs its members');
    const key = `direct:${names.join(',')}`;
    let conv = this.convs.get(key);
    if (!conv) {
      conv = { key, kind: names.length <= 2 ? 'direct' : 'private', name: null, description: null, createdAt: null, creatorKey: null, memberKeys: names };
      this.convs.set(key, conv);
    }
    return conv;
  }

  /** Checks a post and its replies; returns how many messages it holds. */
  private checkPost(p: Json, fail: (reason: string) => never, reply = false): number {
    const what = reply ? 'a reply' : 'a post';
    const user = str(p.user);
    if (!user) fail(`${what} needs a "user"`);
    if (!this.usernames.has(user!)) fail(`${what} by ${user}, who is not a user of the export`);
    if (typeof p.message !== 'string') fail(`${what} needs a "message"`);
    if (typeof p.create_at !== 'number' || !Number.isSafeInteger(p.create_at) || p.create_at < 0) fail(`${what} needs a "create_at" (milliseconds)`);
    for (const r of Array.isArray(p.reactions) ? p.reactions : []) {
      if (!isObject(r) || !str(r.user) || !str(r.emoji_name)) fail(`a reaction of ${what} needs "user" and "emoji_name"`);
      if (!this.usernames.has(str((r as Json).user)!)) fail(`a reaction by ${str((r as Json).user)}, who is not a user of the export`);
    }
    for (const a of Array.isArray(p.attachments) ? p.attachments : []) if (!isObject(a) || !str(a.path)) fail(`an attachment of ${what} needs a "path"`);
    if (reply) return 1;
    let n = 1;
    for (const r of Array.isArray(p.replies) ? p.replies : []) {
      if (!isObject(r)) fail('a reply must be an object');
      const replyAt = (r as Json).create_at;
      if (typeof replyAt === 'number' && replyAt < (p.create_at as number)) fail('a reply is older than its post');
      n += this.checkPost(r as Json, fail, true);
    }
    return n;
  }

  async *users(): AsyncIterable<SourceUser> {
    yield* this.userList;
  }

  async *conversations(): AsyncIterable<SourceConversation> {
    yield* this.convs.values();
  }

  async *messages(conversation: SourceConversation): AsyncIterable<SourceMessage> {
    const index = this.posts.get(conversation.key);
    if (!index) return;
    const order = index.at.map((_, i) => i).sort((a, b) => index.at[a]! - index.at[b]! || a - b);
    const handle = await fs.promises.open(this.file, 'r');
    const pending: Pending[] = [];
    const seen = new Map<string, number>();
    let seenAt = -1;
    // Keys stay unique when one person posts twice in a millisecond: the second gets "#2".
    const unique = (key: string, at: number): string => {
      if (at !== seenAt) seen.clear();
      seenAt = at;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      return n === 1 ? key : `${key}#${n}`;
    };
    try {
      for (const i of order) {
        const at = index.at[i]!;
        while (pending.length > 0 && pending[0]!.at < at) {
          const next = takeFirst(pending);
          next.message.key = unique(next.message.key, next.at);
          yield next.message;
        }
        const post = (JSON.parse(await readLineAt(handle, index.offset[i]!, index.length[i]!)) as Json)[conversation.key.startsWith('direct:') ? 'direct_post' : 'post'] as Json;
        const root = this.message(post, null);
        root.key = unique(root.key, root.at);
        yield root;
        for (const r of Array.isArray(post.replies) ? (post.replies as Json[]) : []) {
          const reply = this.message(r, root.key);
          insertSorted(pending, { at: reply.at, message: reply });
        }
      }
      while (pending.length > 0) {
        const next = takeFirst(pending);
        next.message.key = unique(next.message.key, next.at);
        yield next.message;
      }
    } finally {
      await handle.close();
    }
  }

  private message(p: Json, rootKey: string | null): SourceMessage {
    const user = p.user as string;
    const at = p.create_at as number;
    const text = p.message as string;
    const reactions = new Map<string, string[]>();
    for (const r of Array.isArray(p.reactions) ? (p.reactions as Json[]) : []) {
      const name = r.emoji_name as string;
      reactions.set(name, [...(reactions.get(name) ?? []), r.user as string]);
    }
    return {
      key: rootKey === null ? `${at}:${user}` : `${rootKey}/${at}:${user}`,
      userKey: user,
      at,
      editedAt: null,
      text,
      mentionKeys: [...new Set([...text.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()))].filter((n) => this.usernames.has(n)),
      threadKey: rootKey,
      alsoInConversation: false,
      reactions: [...reactions].map(([name, userKeys]) => ({ name, userKeys })),
      files: (Array.isArray(p.attachments) ? (p.attachments as Json[]) : []).map((a) => this.attachment(a.path as string)),
    };
  }

  /** An attachment: its bytes when the file is there, inside the export's folder; else its name only. */
  private attachment(relative: string): SourceFile {
    const full = path.resolve(this.dir, relative);
    const inside = full.startsWith(this.dir + path.sep);
    let size: number | null = null;
    try {
      if (inside) size = fs.statSync(full).isFile() ? fs.statSync(full).size : null;
    } catch {
      size = null;
    }
    return { name: path.basename(relative), path: size === null ? null : full, size };
  }

  renderText(text: string, nameOf: (userKey: string) => string | null): string {
    return text.replace(MENTION, (whole, name: string) => {
      const key = name.toLowerCase();
      const parley = this.usernames.has(key) ? nameOf(key) : null;
      return parley ? `@${parley}` : whole;
    });
  }

  async close(): Promise<void> {}
}

/** Replies waiting for their turn, kept sorted by time (stable: equal times keep their order). */
function insertSorted(list: Pending[], item: Pending): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.at <= item.at) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}

function takeFirst(list: Pending[]): Pending {
  return list.shift()!;
}
