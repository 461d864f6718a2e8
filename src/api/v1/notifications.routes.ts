import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../protocol/entities.js';
import { IdParams } from '../../protocol/rest.js';
import {
  CreatePushSubscriptionBody,
  NotificationPrefs,
  NotifySetting,
  PatchNotificationPrefsBody,
  PushSubscription,
  PushSubscriptionList,
  SetNotifyBody,
  VapidPublicKey,
} from '../../protocol/rest-notifications.js';
import type { Services } from '../../services/index.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

/** Notification levels per conversation, preferences, and Web Push subscriptions. */
export const notificationsRoutes =
  (s: Services, limits: Pick<RateLimits, 'pushSubscriptionsByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['notifications'];
    const err = { '4xx': ErrorBody };
    app.put(
      '/conversations/:id/notifications',
      { schema: { tags, params: IdParams, body: SetNotifyBody, response: { 200: NotifySetting, ...err }, description: 'Your notification level and mute here.' } },
      async (req) => s.notifications.setLevel(req.actor, req.params.id, req.body),
    );
    app.get('/users/me/notification-prefs', { schema: { tags, response: { 200: NotificationPrefs, ...err } } }, async (req) => s.notifications.prefs(req.actor));
    app.patch('/users/me/notification-prefs', { schema: { tags, body: PatchNotificationPrefsBody, response: { 200: NotificationPrefs, ...err } } }, async (req) =>
      s.notifications.updatePrefs(req.actor, req.body),
    );
    app.get('/push/vapid-public-key', { schema: { tags, response: { 200: VapidPublicKey, ...err } } }, async () => s.notifications.vapidPublicKey());
    app.post(
      '/users/me/push-subscriptions',
      {
        schema: {
          tags,
          body: CreatePushSubscriptionBody,
          response: { 200: PushSubscription, 201: PushSubscription, ...err },
          description: 'Register this browser for Web Push (201); an endpoint already registered moves to you (200).',
        },
      },
      async (req, reply) => {
        await enforce(limits.pushSubscriptionsByUser, req.actor.user.id, 'too many push subscriptions registered');
        const ua = req.headers['user-agent'];
        const { subscription, created } = await s.notifications.subscribe(req.actor, req.body, typeof ua === 'string' ? ua : null);
        return reply.status(created ? 201 : 200).send(subscription);
      },
    );
    app.get('/users/me/push-subscriptions', { schema: { tags, response: { 200: PushSubscriptionList, ...err } } }, async (req) =>
      s.notifications.listSubscriptions(req.actor),
    );
    app.delete('/users/me/push-subscriptions/:id', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.notifications.unsubscribe(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
  };
