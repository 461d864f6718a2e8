/**
 * A Slack export (the ZIP "Export data" gives): users.json, channels.json, groups.json (private
 * channels), dms.json, mpims.json (group DMs), and one folder per conversation (by name; a DM's
 * by its id) of per-day files `YYYY-MM-DD.json`, each an array of messages. The ZIP is read with
 * random access (yauzl): one day file in memory at a time.
 */
import path from 'node:path';
import yauzl from 'yauzl';
import { ImportFormatError, lineAt, lineOfElement, type ImportSource, type SourceCheck, type SourceConversation, type SourceMessage, type SourceUser } from './model.js';
import { renderSlackText, slackMentions } from './slack-text.js';

/** Messages that are not someone's words: joins, topic changes, pins… (skipped, counted). */
const SYSTEM_SUBTYPES = new Set([
  'channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive', 'channel_unarchive',
  'group_join', 'group_leave', 'group_topic', 'group_purpose', 'group_name', 'group_archive', 'group_unarchive',
  'pinned_item', 'unpinned_item', 'bot_add', 'bot_remove', 'channel_convert_to_private', 'tombstone', 'reminder_add',
]);
const TS = /^\d{1,12}(\.\d{1,6})?$/;
const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack's ts ("1700000000.123456") in milliseconds, and as a sortable key. */
function tsMs(ts: string): number {
  const [sec, frac = ''] = ts.split('.');
  return Number(sec) * 1000 + Math.floor(Number(frac.padEnd(6, '0')) / 1000);
}
function tsOrder(a: string, b: string): number {
  const [as, af = ''] = a.split('.');
  const [bs, bf = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

interface Folder {
  conversation: SourceConversation;
  /** Entry names of its day files, by day. */
  days: string[];
}

export class SlackSource implements ImportSource {
  readonly kind = 'slack' as const;
  private zip: yauzl.ZipFile | null = null;
  private entries = new Map<string, yauzl.Entry>();
  private prefix = '';
  private userList: SourceUser[] = [];
  private userKeys = new Set<string>();
  private folders: Folder[] = [];
  /** System messages, messages without an author and empty ones, counted by check(). */
  skipped = 0;

  constructor(private readonly file: string) {}

  private async open(): Promise<void> {
    if (this.zip) return;
    try {
      this.zip = await yauzl.openPromise(this.file, { lazyEntries: true, autoClose: false });
    } catch (err) {
      throw new ImportFormatError(path.basename(this.file), null, `not a readable ZIP file (${(err as Error).message})`);
    }
    const zip = this.zip;
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) this.entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.once('end', resolve);
      zip.once('error', reject);
      zip.readEntry();
    });
    const users = [...this.entries.keys()].filter((n) => n === 'users.json' || n.endsWith('/users.json')).sort((a, b) => a.length - b.length)[0];
    if (!users) throw new ImportFormatError(path.basename(this.file), null, 'no users.json: not a Slack export');
    this.prefix = users.slice(0, users.length - 'users.json'.length);
  }

  private async readText(name: string): Promise<string | null> {
    const entry = this.entries.get(this.prefix + name);
    if (!entry) return null;
    const stream = await this.zip!.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** A JSON array file of the export (null when absent), or ImportFormatError at the failing line. */
  private async readArray(name: string): Promise<{ items: unknown[]; raw: string } | null> {
    const raw = await this.readText(name);
    if (raw === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      throw new ImportFormatError(name, at ? lineAt(raw, Number(at[1])) : null, `invalid JSON (${message})`);
    }
    if (!Array.isArray(parsed)) throw new ImportFormatError(name, 1, 'expected a JSON array');
    return { items: parsed, raw };
  }

  async check(onMessages?: (read: number) => void): Promise<SourceCheck> {
    await this.open();
    this.readUsers((await this.readArray('users.json'))!);
    const lists: [string, 'public' | 'private' | 'direct' | 'mpim'][] = [
      ['channels.json', 'public'],
      ['groups.json', 'private'],
      ['mpims.json', 'mpim'],
      ['dms.json', 'direct'],
    ];
    const byFolder = new Map<string, SourceConversation>();
    for (const [name, kind] of lists) {
      const list = await this.readArray(name);
      if (!list) continue;
      list.items.forEach((item, i) => {
        const conv = this.readConversation(name, list.raw, item, i, kind);
        // A DM's folder is its id; the others' their name.
        byFolder.set(kind === 'direct' ? conv.key : str((item as Json).name)!, conv);
      });
    }
    const days = new Map<string, string[]>();
    for (const entry of this.entries.keys()) {
      if (!entry.startsWith(this.prefix)) continue;
      const [folder, file, ...rest] = entry.slice(this.prefix.length).split('/');
      if (rest.length > 0 || !folder || !file || !DAY_FILE.test(file) || !byFolder.has(folder)) continue;
      days.set(folder, [...(days.get(folder) ?? []), `${folder}/${file}`]);
    }
    this.folders = [...byFolder].map(([folder, conversation]) => ({ conversation, days: (days.get(folder) ?? []).sort() }));
    let messages = 0;
    for (const folder of this.folders) {
      for (const day of folder.days) {
        for (const m of await this.readDay(day)) if (m) messages++;
        onMessages?.(messages);
      }
    }
    return { users: this.userList.length, conversations: this.folders.length, messages };
  }

  private readUsers(list: { items: unknown[]; raw: string }): void {
    list.items.forEach((u, i) => {
      const id = isObject(u) ? str(u.id) : null;
      if (!isObject(u) || !id) throw new ImportFormatError('users.json', this.lineOfItem(list.raw, i, 'id', id), `user #${i + 1} has no id`);
      const profile = isObject(u.profile) ? u.profile : {};
      const name = str(u.name) ?? id;
      const displayName = str(profile.display_name) || str(profile.real_name) || str(u.real_name) || name;
      this.userList.push({ key: id, username: name, displayName, email: str(profile.email) || null });
      this.userKeys.add(id);
    });
  }

  private readConversation(file: string, raw: string, item: unknown, i: number, kind: 'public' | 'private' | 'direct' | 'mpim'): SourceConversation {
    const id = isObject(item) ? str(item.id) : null;
    const where = (): number | null => this.lineOfItem(raw, i, 'id', id);
    if (!isObject(item) || !id) throw new ImportFormatError(file, where(), `conversation #${i + 1} has no id`);
    const members = Array.isArray(item.members) ? item.members.filter((m): m is string => typeof m === 'string') : [];
    for (const m of members) if (!this.userKeys.has(m)) throw new ImportFormatError(file, where(), `member ${m} of ${id} is not in users.json`);
    const name = str(item.name);
    if (kind !== 'direct' && !name) throw new ImportFormatError(file, where(), `${id} has no name`);
    if (kind === 'direct' && members.length !== 2) throw new ImportFormatError(file, where(), `direct conversation ${id} needs 2 members`);
    const purpose = isObject(item.purpose) ? str(item.purpose.value) : null;
    const creator = str(item.creator);
    return {
      key: id,
      kind: kind === 'mpim' ? 'private' : kind,
      name: kind === 'direct' ? null : kind === 'mpim' ? null : name,
      description: purpose || null,
      createdAt: typeof item.created === 'number' ? new Date(item.created * 1000) : null,
      creatorKey: creator && this.userKeys.has(creator) ? creator : null,
      memberKeys: members,
    };
  }

  /**
   * The line of item `index` of a JSON array file: the line of its `field` when that has a value
   * (a message's ts), else where the item begins.
   */
  private lineOfItem(raw: string, index: number, field: string, value: string | null): number | null {
    const start = lineOfElement(raw, index);
    if (value === null || start === null) return start;
    const key = raw.indexOf(`"${field}"`, raw.split('\n', start - 1).join('\n').length);
    const hit = key === -1 ? -1 : raw.indexOf(JSON.stringify(value), key);
    return hit === -1 ? start : lineAt(raw, hit);
  }

  /** One day file's messages, checked, in time order; null for one that is skipped. */
  private async readDay(name: string): Promise<(SourceMessage | null)[]> {
    const { items, raw } = (await this.readArray(name))!;
    const out: { ts: string; index: number; message: SourceMessage | null }[] = [];
    items.forEach((item, i) => {
      const ts = isObject(item) ? str(item.ts) : null;
      const fail = (reason: string): never => {
        throw new ImportFormatError(name, this.lineOfItem(raw, i, 'ts', ts), `message #${i + 1}${ts ? ` (ts ${ts})` : ''}: ${reason}`);
      };
      if (!isObject(item)) return fail('not an object');
      if (!ts || !TS.test(ts)) return fail('no valid ts');
      if (item.type !== undefined && item.type !== 'message') return fail(`type "${String(item.type)}" is not "message"`);
      if (item.text !== undefined && typeof item.text !== 'string') return fail('text is not a string');
      const threadTs = item.thread_ts === undefined ? null : str(item.thread_ts);
      if (item.thread_ts !== undefined && (!threadTs || !TS.test(threadTs))) return fail('thread_ts is not a valid ts');
      const subtype = str(item.subtype);
      const user = str(item.user);
      if (user !== null && !this.userKeys.has(user) && !(subtype && SYSTEM_SUBTYPES.has(subtype))) return fail(`user ${user} is not in users.json`);
      const reactions = this.reactions(item.reactions, fail);
      const files = Array.isArray(item.files) ? item.files.filter(isObject) : [];
      if ((subtype && SYSTEM_SUBTYPES.has(subtype)) || user === null) {
        out.push({ ts, index: i, message: null });
        return;
      }
      const text = str(item.text) ?? '';
      out.push({
        ts,
        index: i,
        message: {
          key: ts,
          userKey: user,
          at: tsMs(ts),
          editedAt: isObject(item.edited) && str(item.edited.ts) && TS.test(str(item.edited.ts)!) ? tsMs(str(item.edited.ts)!) : null,
          text,
          mentionKeys: slackMentions(text).filter((k) => this.userKeys.has(k)),
          threadKey: threadTs && threadTs !== ts ? threadTs : null,
          alsoInConversation: subtype === 'thread_broadcast',
          reactions,
          files: files.map((f) => ({ name: str(f.name) ?? str(f.title) ?? 'file', path: null, size: typeof f.size === 'number' ? f.size : null })),
        },
      });
    });
    out.sort((a, b) => tsOrder(a.ts, b.ts));
    // A ts is a message's id in its channel: twice is a broken export (and would be one message).
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.ts === out[i - 1]!.ts) throw new ImportFormatError(name, this.lineOfItem(raw, out[i]!.index, 'ts', out[i]!.ts), `ts ${out[i]!.ts} appears twice`);
    }
    return out.map((m) => m.message);
  }

  private reactions(value: unknown, fail: (reason: string) => never): SourceMessage['reactions'] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail('reactions is not an array');
    return value.map((r) => {
      if (!isObject(r) || !str(r.name) || !Array.isArray(r.users)) return fail('a reaction needs a name and users');
      return { name: str(r.name)!, userKeys: r.users.filter((u): u is string => typeof u === 'string' && this.userKeys.has(u)) };
    });
  }

  async *users(): AsyncIterable<SourceUser> {
    yield* this.userList;
  }

  async *conversations(): AsyncIterable<SourceConversation> {
    for (const f of this.folders) yield f.conversation;
  }

  async *messages(conversation: SourceConversation): AsyncIterable<SourceMessage> {
    const folder = this.folders.find((f) => f.conversation === conversation);
    for (const day of folder?.days ?? []) {
      for (const m of await this.readDay(day)) {
        if (m) yield m;
        else this.skipped++;
      }
    }
  }

  renderText(text: string, nameOf: (userKey: string) => string | null): string {
    return renderSlackText(text, nameOf);
  }

  async close(): Promise<void> {
    this.zip?.close();
    this.zip = null;
  }
}
