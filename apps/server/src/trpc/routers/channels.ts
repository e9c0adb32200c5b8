import { z } from 'zod';
import { ident, parseInput } from '../../schemas/common.js';
import {
  channelDeliveriesInput,
  channelIdInput,
  channelUpdateInput,
  createChannelInput,
} from '../../schemas/channels.js';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannelDeliveries,
  listChannels,
  testChannel,
  updateChannel,
} from '../../services/channels.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

const idOf = (input: unknown): string => parseInput(channelIdInput, input).id;
/** The patch itself is validated by the service, as the REST body is. */
const updateEnvelope = z.strictObject({ id: ident(100), patch: z.unknown() });
const deliveriesInput = channelDeliveriesInput.partial().extend({ id: ident(100) });

/** Notification channels (`/api/notification-channels`): the same services as the REST routes. */
export const channelsRouter = router({
  create: authedProcedure
    .input(rawInput(createChannelInput))
    .mutation(({ ctx, input }) => createChannel(ctx.reins, input)),
  list: authedProcedure.query(({ ctx }) => listChannels(ctx.reins)),
  get: authedProcedure
    .input(rawInput(channelIdInput))
    .query(({ ctx, input }) => getChannel(ctx.reins, idOf(input))),
  update: authedProcedure.input(rawInput(channelUpdateInput)).mutation(({ ctx, input }) => {
    const { id, patch } = parseInput(updateEnvelope, input);
    return updateChannel(ctx.reins, id, patch);
  }),
  delete: authedProcedure
    .input(rawInput(channelIdInput))
    .mutation(({ ctx, input }) => deleteChannel(ctx.reins, idOf(input))),
  test: authedProcedure
    .input(rawInput(channelIdInput))
    .mutation(({ ctx, input }) => testChannel(ctx.reins, idOf(input))),
  deliveries: authedProcedure.input(rawInput(deliveriesInput)).query(({ ctx, input }) => {
    const { id, ...query } = parseInput(deliveriesInput, input);
    return listChannelDeliveries(ctx.reins, id, query);
  }),
});
