/**
 * Exports to import, built the way Slack and Mattermost write them (their public documentation):
 * a Slack export ZIP (users.json, channels.json, groups.json, dms.json, mpims.json, one folder per
 * conversation of per-day JSON arrays of messages) and a Mattermost bulk JSONL. The ZIP is written
 * as it goes (one file in memory at a time), so the bench can make one of 100,000 messages.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

interface ZipEntry {
  name: Buffer;
  crc: number;
  size: number;
  compressed: number;
  offset: number;
}

/** A ZIP file written entry by entry (deflated, UTF-8 names). */
export class ZipWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly entries: ZipEntry[] = [];

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  private write(buf: Buffer): void {
    fs.writeSync(this.fd, buf);
    this.offset += buf.length;
  }

  add(name: string, content: string | Buffer): void {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const packed = zlib.deflateRawSync(data);
    const entry: ZipEntry = { name: Buffer.from(name, 'utf8'), crc: zlib.crc32(data), size: data.length, compressed: packed.length, offset: this.offset };
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0800, 6);
    h.writeUInt16LE(8, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(0x21, 12);
    h.writeUInt32LE(entry.crc, 14);
    h.writeUInt32LE(entry.compressed, 18);
    h.writeUInt32LE(entry.size, 22);
    h.writeUInt16LE(entry.name.length, 26);
    h.writeUInt16LE(0, 28);
    this.write(h);
    this.write(entry.name);
    this.write(packed);
    this.entries.push(entry);
  }

  close(): void {
    const start = this.offset;
    for (const e of this.entries) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(8, 10);
      c.writeUInt16LE(0, 12);
      c.writeUInt16LE(0x21, 14);
      c.writeUInt32LE(e.crc, 16);
      c.writeUInt32LE(e.compressed, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(e.name.length, 28);
      c.writeUInt32LE(e.offset, 42);
      this.write(c);
      this.write(e.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    this.write(end);
    fs.closeSync(this.fd);
  }
}

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  email?: string;
  isBot?: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
  creator: string;
  members: string[];
  purpose?: string;
  created: number;
}

/** A Slack message as the export writes it. */
export type SlackMessage = Record<string, unknown> & { ts: string };

export interface SlackExport {
  users: SlackUser[];
  channels: SlackChannel[];
  groups?: SlackChannel[];
  dms?: { id: string; members: [string, string]; created: number }[];
  mpims?: SlackChannel[];
}

/** Slack's ts for a time in milliseconds plus a counter (unique within a channel). */
export function slackTs(ms: number, n = 0): string {
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (n % 1000)).padStart(6, '0')}`;
}

/** `users.json` as Slack writes it. */
function usersJson(users: SlackUser[]): string {
  return JSON.stringify(
    users.map((u) => ({
      id: u.id,
      team_id: 'T0001',
      name: u.name,
      deleted: false,
      real_name: u.realName,
      is_bot: u.isBot ?? false,
      profile: { real_name: u.realName, display_name: u.realName, ...(u.email ? { email: u.email } : {}) },
    })),
    null,
    4,
  );
}

function channelsJson(channels: SlackChannel[]): string {
  return JSON.stringify(
    channels.map((c) => ({
      id: c.id,
      name: c.name,
      created: c.created,
      creator: c.creator,
      is_archived: false,
      is_general: c.name === 'general',
      members: c.members,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: c.purpose ?? '', creator: c.creator, last_set: c.created },
    })),
    null,
    4,
  );
}

/**
 * Writes a Slack export: the lists, then each folder's day files as `days(folder)` yields them
 * ([day, messages] in order; the DMs' folders are their ids).
 */
export function writeSlackExport(file: string, spec: SlackExport, days: (folder: string) => Iterable<[string, SlackMessage[]]>, raw: Record<string, string> = {}): void {
  const zip = new ZipWriter(file);
  zip.add('users.json', usersJson(spec.users));
  zip.add('channels.json', channelsJson(spec.channels));
  if (spec.groups) zip.add('groups.json', channelsJson(spec.groups));
  if (spec.mpims) zip.add('mpims.json', channelsJson(spec.mpims));
  if (spec.dms) zip.add('dms.json', JSON.stringify(spec.dms.map((d) => ({ id: d.id, created: d.created, members: d.members })), null, 4));
  zip.add('integration_logs.json', '[]');
  const folders = [...spec.channels, ...(spec.groups ?? []), ...(spec.mpims ?? [])].map((c) => c.name).concat((spec.dms ?? []).map((d) => d.id));
  for (const folder of folders) {
    for (const [day, messages] of days(folder)) {
      const name = `${folder}/${day}.json`;
      zip.add(name, raw[name] ?? JSON.stringify(messages, null, 4));
    }
  }
  zip.close();
}

/** A Slack message of `user` at `ms` (with Slack's usual fields). */
export function slackMessage(user: string, ms: number, text: string, extra: Record<string, unknown> = {}, n = 0): SlackMessage {
  return { client_msg_id: `${user}-${ms}-${n}`, type: 'message', text, user, ts: slackTs(ms, n), team: 'T0001', ...extra };
}

/** One JSONL line of a Mattermost bulk export. */
export function mattermostLine(type: string, body: unknown): string {
  return JSON.stringify(type === 'version' ? { type, version: body } : { type, [type]: body });
}
