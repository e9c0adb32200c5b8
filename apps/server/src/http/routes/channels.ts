import { id, type RouteDef } from '../routeTypes.js';
import { createChannelInput, updateChannelInput } from '../../schemas/channels.js';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from '../../services/channels.js';

/** Notification channels (`/api/notification-channels`). */
export const channelsRoutes: RouteDef[] = [
  {
    method: 'POST',
    url: '/api/notification-channels',
    summary: 'Create a notification channel (a webhook secret is shown once)',
    tag: 'Notification channels',
    permission: 'alerts:write',
    envelope: 'docs',
    status: 201,
    body: createChannelInput,
    run: (ctx, i) => createChannel(ctx, i.body),
  },
  {
    method: 'GET',
    url: '/api/notification-channels',
    summary: 'List notification channels (secrets masked)',
    tag: 'Notification channels',
    permission: 'alerts:read',
    envelope: 'docs',
    status: 200,
    run: (ctx) => listChannels(ctx),
  },
  {
    method: 'GET',
    url: '/api/notification-channels/:id',
    summary: 'Get a notification channel (secrets masked)',
    tag: 'Notification channels',
    permission: 'alerts:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getChannel(ctx, id(i)),
  },
  {
    method: 'PUT',
    url: '/api/notification-channels/:id',
    summary: 'Partially update a notification channel; rotateSecret shows the new secret once',
    tag: 'Notification channels',
    permission: 'alerts:write',
    envelope: 'docs',
    status: 200,
    body: updateChannelInput,
    run: (ctx, i) => updateChannel(ctx, id(i), i.body),
  },
  {
    method: 'DELETE',
    url: '/api/notification-channels/:id',
    summary: 'Delete a notification channel that no rule names',
    tag: 'Notification channels',
    permission: 'alerts:write',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => deleteChannel(ctx, id(i)),
  },
];
