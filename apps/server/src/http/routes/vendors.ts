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
import type { RouteDef, RouteInput } from '../routeTypes.js';

const vendorOf = (i: RouteInput): string => i.params.vendor ?? '';
const idOf = (i: RouteInput): string => i.params.id ?? '';

/** Vendors, rate limits and the price table (`/api/vendors`). */
export const vendorsRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/vendors',
    summary: 'The six vendors with this organization’s settings (enabled, requests per minute)',
    tag: 'Vendors',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx) => listVendors(ctx),
  },
  {
    method: 'GET',
    url: '/api/vendors/:vendor',
    summary: 'One vendor with this organization’s settings',
    tag: 'Vendors',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getVendor(ctx, vendorOf(i)),
  },
  {
    method: 'PUT',
    url: '/api/vendors/:vendor',
    summary: 'Enable or disable a vendor, set its requests-per-minute limit (null = unlimited)',
    tag: 'Vendors',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    body: updateVendorInput,
    run: (ctx, i) => updateVendor(ctx, vendorOf(i), i.body),
  },
  {
    method: 'GET',
    url: '/api/vendors/:vendor/prices',
    summary: 'The vendor’s model price table at an instant, with the overrides in force then',
    tag: 'Vendors',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    query: vendorPricesInput,
    run: (ctx, i) => getVendorPrices(ctx, vendorOf(i), i.query),
  },
  {
    method: 'GET',
    url: '/api/vendors/:vendor/price-overrides',
    summary: 'This organization’s price overrides for the vendor, past, current and future',
    tag: 'Vendors',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => listPriceOverrides(ctx, vendorOf(i)),
  },
  {
    method: 'POST',
    url: '/api/vendors/:vendor/price-overrides',
    summary: 'Override a model’s price (exact id or * glob) from effectiveFrom to effectiveTo',
    tag: 'Vendors',
    permission: 'policies:write',
    envelope: 'docs',
    status: 201,
    body: createPriceOverrideInput,
    run: (ctx, i) => createPriceOverride(ctx, vendorOf(i), i.body),
  },
  {
    method: 'DELETE',
    url: '/api/vendors/:vendor/price-overrides/:id',
    summary: 'Delete a price override (transactions already priced by it keep their cost)',
    tag: 'Vendors',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => deletePriceOverride(ctx, vendorOf(i), idOf(i)),
  },
];
