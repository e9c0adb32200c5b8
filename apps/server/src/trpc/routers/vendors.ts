import { z } from 'zod';
import { VENDORS } from '@reins/engine';
import { parseInput } from '../../schemas/common.js';
import {
  createPriceOverrideInput,
  updateVendorInput,
  vendorPricesInput,
} from '../../schemas/vendors.js';
import {
  createPriceOverride,
  deletePriceOverride,
  getVendor,
  getVendorPrices,
  listPriceOverrides,
  listVendors,
  updateVendor,
} from '../../services/vendors.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

/** Typed for clients as one of the six; the service answers any other name with NOT_FOUND. */
const vendor = z.enum(VENDORS);
const vendorName = z.string().min(1).max(40);
const overrideId = z.string().min(1).max(100);
const vendorKey = z.looseObject({ vendor: vendorName });
const byVendor = z.strictObject({ vendor });
const byOverride = z.strictObject({ vendor, id: overrideId });
const vendorOf = (input: unknown): string =>
  parseInput(z.strictObject({ vendor: vendorName }), input).vendor;

/** `{vendor, ...rest}` → the vendor and the rest, which the service validates as REST's body. */
function splitVendor(input: unknown): [string, Record<string, unknown>] {
  const { vendor: v, ...rest } = parseInput(vendorKey, input);
  return [v, rest];
}

/** Vendors, rate limits and the price table (`/api/vendors`): the same services as the REST routes. */
export const vendorsRouter = router({
  list: authedProcedure.query(({ ctx }) => listVendors(ctx.reins)),
  get: authedProcedure
    .input(rawInput(byVendor))
    .query(({ ctx, input }) => getVendor(ctx.reins, vendorOf(input))),
  update: authedProcedure
    .input(rawInput(updateVendorInput.extend({ vendor })))
    .mutation(({ ctx, input }) => updateVendor(ctx.reins, ...splitVendor(input))),
  prices: authedProcedure
    .input(rawInput(vendorPricesInput.extend({ vendor })))
    .query(({ ctx, input }) => getVendorPrices(ctx.reins, ...splitVendor(input))),
  listOverrides: authedProcedure
    .input(rawInput(byVendor))
    .query(({ ctx, input }) => listPriceOverrides(ctx.reins, vendorOf(input))),
  createOverride: authedProcedure
    .input(rawInput(z.intersection(createPriceOverrideInput, byVendor)))
    .mutation(({ ctx, input }) => createPriceOverride(ctx.reins, ...splitVendor(input))),
  deleteOverride: authedProcedure.input(rawInput(byOverride)).mutation(({ ctx, input }) => {
    const { vendor: v, id } = parseInput(
      z.strictObject({ vendor: vendorName, id: overrideId }),
      input,
    );
    return deletePriceOverride(ctx.reins, v, id);
  }),
});
