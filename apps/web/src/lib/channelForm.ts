/**
 * The notification-channel form: its state → the `notificationChannels.create` input, checked as
 * the user types against the same constraints as the server's `createChannelInput` (and the
 * service's per-type rules). That schema lives with the server's error classes and is not
 * importable in the browser, so its rules are restated here; the server still decides, and its
 * 422 is shown if the two ever disagree.
 */
import type { RouterInputs } from './trpc.js';

export type ChannelInput = RouterInputs['notificationChannels']['create'];
export type ChannelType = ChannelInput['type'];

/** Every type, checked against the server's: a new one fails to compile until it has a label. */
export const CHANNEL_TYPES: Record<ChannelType, string> = {
  webhook: 'Webhook (signed HTTP POST)',
  slack: 'Slack incoming webhook',
  email: 'Email',
};

export interface ChannelFormState {
  name: string;
  type: ChannelType;
  url: string;
  secret: string;
  /** Addresses separated by commas, spaces or new lines. */
  addresses: string;
  enabled: boolean;
}

export const EMPTY_CHANNEL: ChannelFormState = {
  name: '',
  type: 'webhook',
  url: '',
  secret: '',
  addresses: '',
  enabled: true,
};

export type ChannelField = 'name' | 'url' | 'secret' | 'addresses';
export type ChannelErrors = Partial<Record<ChannelField, string>>;

// eslint-disable-next-line no-control-regex -- matching control characters and spaces is the point
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
// eslint-disable-next-line no-control-regex -- as the server's `ident`
const CONTROL = /[\u0000-\u001f\u007f]/;
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function urlError(url: string, type: ChannelType): string | null {
  if (url === '') return 'Enter the URL to deliver to';
  if (url.length > 2000) return 'Must be at most 2000 characters';
  if (CONTROL_OR_SPACE.test(url)) return 'Must not contain spaces or control characters';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'Must be an absolute http(s) URL, like https://example.com/hooks/reins';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return 'Must be an http:// or https:// URL';
  if (!u.hostname) return 'Must name a host';
  if (u.username || u.password) return 'Must not contain credentials (user:password@)';
  if (type === 'slack' && u.protocol !== 'https:')
    return 'Must be an https:// URL for a Slack incoming webhook';
  return null;
}

export function secretError(secret: string): string | null {
  if (secret === '') return null;
  if (CONTROL_OR_SPACE.test(secret)) return 'Must not contain spaces or control characters';
  if (secret.length < 16) return `Must be at least 16 characters (${String(secret.length)} now)`;
  if (secret.length > 256) return 'Must be at most 256 characters';
  return null;
}

/** The unquoted `local@domain` the server accepts (its domain lowercased there). */
export function isEmailAddress(s: string): boolean {
  if (s.length > 254) return false;
  const at = s.lastIndexOf('@');
  const local = s.slice(0, at);
  const labels = s
    .slice(at + 1)
    .toLowerCase()
    .split('.');
  return (
    at > 0 &&
    LOCAL.test(local) &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..') &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1] ?? '')
  );
}

export const addressList = (s: string): string[] => s.split(/[\s,;]+/).filter(Boolean);

export function addressesError(text: string): string | null {
  const list = addressList(text);
  if (list.length === 0) return 'Enter at least one email address';
  const bad = list.filter((a) => !isEmailAddress(a));
  if (bad.length > 0) return `Not a valid email address: ${bad.map((a) => `“${a}”`).join(', ')}`;
  if (new Set(list).size > 50) return 'At most 50 addresses';
  return null;
}

export function nameError(name: string): string | null {
  const n = name.trim();
  if (n === '') return 'Enter a name';
  if (n.length > 200) return 'Must be at most 200 characters';
  if (CONTROL.test(n)) return 'Must not contain control characters';
  return null;
}

/** The errors of the fields the chosen type takes (the others are not sent). */
export function channelErrors(f: ChannelFormState): ChannelErrors {
  const errors: ChannelErrors = {};
  const put = (field: ChannelField, e: string | null) => {
    if (e) errors[field] = e;
  };
  put('name', nameError(f.name));
  if (f.type === 'webhook' || f.type === 'slack') put('url', urlError(f.url, f.type));
  if (f.type === 'webhook') put('secret', secretError(f.secret));
  if (f.type === 'email') put('addresses', addressesError(f.addresses));
  return errors;
}

/** The create input: only the chosen type's fields, as the server refuses the others. */
export function channelInput(f: ChannelFormState): ChannelInput {
  const base = { name: f.name.trim(), enabled: f.enabled };
  switch (f.type) {
    case 'webhook':
      return { ...base, type: 'webhook', url: f.url, ...(f.secret ? { secret: f.secret } : {}) };
    case 'slack':
      return { ...base, type: 'slack', url: f.url };
    case 'email':
      return { ...base, type: 'email', addresses: [...new Set(addressList(f.addresses))] };
  }
}
