/**
 * One run of a custom slash command against its integration, as Slack makes it: a signed
 * `application/x-www-form-urlencoded` POST through the webhooks' SSRF guard, answered within a
 * few seconds with JSON (`{text, response_type, blocks?, attachments?}`) or plain text. Nothing
 * here throws for what the integration does: every failure is a reason to tell the user.
 */
import { createHmac } from 'node:crypto';
import { postForReply, ReplyTooLarge, signWebhookBody } from './webhook-http.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from './webhook-guard.js';
import { describeFailure } from './webhook-dispatcher.js';
import { slackPayloadText, SlackPayloadRefused } from './slack-payload.js';

/** Slack gives an integration 3 seconds to answer. */
export const COMMAND_TIMEOUT_MS = 3_000;
/** The largest reply read (Slack's own message limit is 40,000 characters; blocks add to it). */
export const COMMAND_REPLY_MAX_BYTES = 256 * 1024;

/** What the integration said: nothing (an empty 2xx), a reply for the caller or the group, or why it failed. */
export type CommandReply =
  | { kind: 'none' }
  | { kind: 'ephemeral' | 'in_channel'; text: string }
  | { kind: 'failed'; reason: string; detail?: Record<string, unknown> };

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`, Slack's request signature. */
export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex')}`;
}

/**
 * A reply payload (the run's answer, or a POST to its response_url) as text and where it goes:
 * `response_type: "in_channel"` into the group, anything else to the caller alone. Throws
 * SlackPayloadRefused when it says nothing.
 */
export function readReplyPayload(payload: unknown): { kind: 'ephemeral' | 'in_channel'; text: string } {
  const text = slackPayloadText(payload);
  const type = (payload as { response_type?: unknown }).response_type;
  return { kind: type === 'in_channel' ? 'in_channel' : 'ephemeral', text };
}

/** The reply's body read as Slack does: JSON when it says so (or looks like it), plain text otherwise. */
function interpret(contentType: string, body: string): CommandReply {
  const trimmed = body.trim();
  if (!trimmed) return { kind: 'none' };
  if (!/json/i.test(contentType) && !trimmed.startsWith('{')) return { kind: 'ephemeral', text: trimmed };
  let payload: unknown;
  try {
    payload = JSON.parse(trimmed);
  } catch {
    return { kind: 'failed', reason: 'its reply is not valid JSON' };
  }
  try {
    return readReplyPayload(payload);
  } catch (err) {
    if (err instanceof SlackPayloadRefused) return err.code === 'no_text' ? { kind: 'none' } : { kind: 'failed', reason: `its reply was refused: ${err.message}` };
    throw err;
  }
}

/** POSTs the form to the command's URL, signed with its secret, and reads what it answers. */
export async function callCommand(input: {
  url: string;
  secret: string;
  form: Record<string, string>;
  allowPrivate: boolean;
  timeoutMs?: number;
}): Promise<CommandReply> {
  const timeoutMs = input.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const body = new URLSearchParams(input.form).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const url = parseWebhookUrl(input.url);
    // Checked again at each run: the name may resolve elsewhere since the command was made.
    const [address] = await resolveWebhookTarget(url, input.allowPrivate, timeoutMs);
    const reply = await postForReply(
      {
        url,
        address: address!,
        body,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'Parley-Command/1',
          accept: 'application/json,text/plain;q=0.9',
          'x-parley-signature': signWebhookBody(input.secret, body),
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(input.secret, timestamp, body),
        },
        signal,
      },
      COMMAND_REPLY_MAX_BYTES,
    );
    if (reply.status < 200 || reply.status >= 300) return { kind: 'failed', reason: `it answered HTTP ${reply.status}` };
    return interpret(reply.contentType, reply.body);
  } catch (err) {
    if (signal.aborted) return { kind: 'failed', reason: `it did not answer within ${timeoutMs / 1000} seconds` };
    if (err instanceof ReplyTooLarge) return { kind: 'failed', reason: `its reply is larger than ${COMMAND_REPLY_MAX_BYTES / 1024} KiB` };
    // The guard's message never names an address; the detail (address, resolver code) is for the log.
    if (err instanceof WebhookTargetError) return { kind: 'failed', reason: err.message, detail: err.detail };
    return { kind: 'failed', reason: describeFailure(err, timeoutMs), detail: { error: (err as Error).message } };
  }
}
