/** REST bodies of notifications: per-conversation levels, preferences, Web Push subscriptions. */
import { Type } from 'typebox';
import { Id, NotifyLevel, Timestamp } from './entities.js';

const strict = { additionalProperties: false } as const;

/** PUT /conversations/{id}/notifications: either or both. */
export const SetNotifyBody = Type.Object({ level: Type.Optional(NotifyLevel), muted: Type.Optional(Type.Boolean()) }, strict);
export const NotifySetting = Type.Object({ level: NotifyLevel, muted: Type.Boolean() });

export const NotificationPrefs = Type.Object({
  push: Type.Boolean({ description: 'Web Push to your browsers while you have no open socket (default true)' }),
  emailDigest: Type.Boolean({ description: 'An e-mail listing unread mentions after a delay (default true; needs an e-mail address and SMTP)' }),
  emailDigestDelayMinutes: Type.Integer({ minimum: 5, maximum: 1440, description: 'How old an unread mention is before it is e-mailed (default 30)' }),
  dndSchedule: Type.Union(
    [
      Type.Object(
        {
          start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'local time HH:MM' }),
          end: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'local time HH:MM; at or before start: the next day' }),
          days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { minItems: 1, maxItems: 7, description: 'the days a quiet time starts on, 0 = Sunday' }),
          timeZone: Type.String({ maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' }),
        },
        strict,
      ),
      Type.Null(),
    ],
    { description: 'A daily do-not-disturb time (no pushes; the e-mail digest waits); null: none (default)' },
  ),
});
export const PatchNotificationPrefsBody = Type.Partial(NotificationPrefs, strict);

export const VapidPublicKey = Type.Object({ publicKey: Type.String({ description: "The server's VAPID public key (URL-safe base64), for pushManager.subscribe" }) });

/** What PushSubscription.toJSON() gives (expirationTime tolerated and ignored). */
export const CreatePushSubscriptionBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: 2048, description: 'The push service URL: https, not a private address' }),
    keys: Type.Object({ p256dh: Type.String({ minLength: 1, maxLength: 200 }), auth: Type.String({ minLength: 1, maxLength: 100 }) }, strict),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  strict,
);
export const PushSubscription = Type.Object({ id: Id, endpoint: Type.String(), createdAt: Timestamp });
export const PushSubscriptionList = Type.Object({ subscriptions: Type.Array(PushSubscription) });
