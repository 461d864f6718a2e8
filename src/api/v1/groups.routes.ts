import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Conversation, ErrorBody, Member } from '../../protocol/entities.js';
import {
  AddMemberBody,
  CreateGroupBody,
  CursorQuery,
  GroupList,
  GroupListQuery,
  IdParams,
  MemberList,
  MemberParams,
  PatchGroupBody,
  PatchMemberBody,
} from '../../protocol/rest.js';
import type { Services } from '../../services/index.js';
import { LeaveQuery } from '../../protocol/add-blocks.js';
import { enforce, type RateLimits } from '../../core/rate-limiter.js';

export const groupsRoutes =
  (s: Services, limits: Pick<RateLimits, 'groupCreationsByUser' | 'groupChangesByUser'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['groups'];
    const err = { '4xx': ErrorBody };
    // Settings and membership changes are events fanned out to every member (RATE_LIMIT_GROUP_CHANGES_PER_USER).
    const change = (userId: string) => enforce(limits.groupChangesByUser, userId, 'too many group changes');
    app.post('/groups', { schema: { tags, body: CreateGroupBody, response: { 201: Conversation, ...err } } }, async (req, reply) => {
      await enforce(limits.groupCreationsByUser, req.actor.user.id, 'too many groups created');
      return reply.status(201).send(await s.conversations.createGroup(req.actor, req.body));
    });
    app.get('/groups', { schema: { tags, querystring: GroupListQuery, response: { 200: GroupList, ...err } } }, async (req) =>
      s.conversations.listGroups(req.actor, req.query),
    );
    app.get('/groups/:id', { schema: { tags, params: IdParams, response: { 200: Conversation, ...err } } }, async (req) =>
      s.conversations.getGroup(req.actor, req.params.id),
    );
    app.patch(
      '/groups/:id',
      { schema: { tags, params: IdParams, body: PatchGroupBody, response: { 200: Conversation, ...err } } },
      async (req) => {
        await change(req.actor.user.id);
        return s.conversations.patchGroup(req.actor, req.params.id, req.body);
      },
    );
    app.delete('/groups/:id', { schema: { tags, params: IdParams, response: { 204: Type.Null(), ...err } } }, async (req, reply) => {
      await s.conversations.deleteGroup(req.actor, req.params.id);
      return reply.status(204).send(null);
    });
    app.get(
      '/groups/:id/members',
      { schema: { tags, params: IdParams, querystring: CursorQuery, response: { 200: MemberList, ...err } } },
      async (req) => s.conversations.listMembers(req.actor, req.params.id, req.query.cursor, req.query.limit),
    );
    app.post(
      '/groups/:id/members',
      { schema: { tags, params: IdParams, body: AddMemberBody, response: { 200: Member, 201: Member, ...err } } },
      async (req, reply) => {
        await change(req.actor.user.id);
        const { member, created } = await s.conversations.addMember(req.actor, req.params.id, req.body.userId);
        return reply.status(created ? 201 : 200).send(member);
      },
    );
    app.patch(
      '/groups/:id/members/:userId',
      { schema: { tags, params: MemberParams, body: PatchMemberBody, response: { 200: Member, ...err } } },
      async (req) => {
        await change(req.actor.user.id);
        return s.conversations.setRole(req.actor, req.params.id, req.params.userId, req.body.role);
      },
    );
    app.delete(
      '/groups/:id/members/:userId',
      {
        schema: {
          tags,
          params: MemberParams,
          querystring: LeaveQuery,
          response: { 204: Type.Null(), ...err },
          description: 'Leave (your own id), or remove a member. `?blockAdder=true` when leaving: whoever added you may not add you to a group again.',
        },
      },
      async (req, reply) => {
        // Leaving is never throttled: each membership left was counted when it began (a join or an add).
        if (req.params.userId !== req.actor.user.id) await change(req.actor.user.id);
        await s.conversations.removeMember(req.actor, req.params.id, req.params.userId, { blockAdder: req.query.blockAdder === true });
        return reply.status(204).send(null);
      },
    );
  };
