import { describe, expect, it } from 'vitest';
// The server's schema is not browser code (it brings the server's error classes), so the form
// restates it; this test (never bundled) holds the two to the same verdicts.
import { createChannelInput } from '../../../server/src/schemas/channels.js';
import {
  EMPTY_CHANNEL,
  channelErrors,
  channelInput,
  type ChannelFormState,
} from './channelForm.js';

const form = (over: Partial<ChannelFormState>): ChannelFormState => ({
  ...EMPTY_CHANNEL,
  name: 'Ops',
  ...over,
});

const URLS = [
  'https://hooks.example.com/reins',
  'http://10.0.0.5:8080/hook?x=1',
  'https://hooks.slack.com/services/T000/B000/XXXX',
  'ftp://example.com/hook',
  'hooks.example.com/reins',
  'https://user:pw@example.com/hook',
  'https://exa mple.com/',
  'https://example.com/\u0007',
  'mailto:ops@example.com',
  'https://',
  `https://example.com/${'a'.repeat(2000)}`,
];
const SECRETS = [
  '',
  'short',
  'sixteen-chars-ok',
  'has a space in it ok',
  'x'.repeat(256),
  'x'.repeat(257),
];
const ADDRESSES = [
  'ops@example.com',
  'Ops@Example.COM, cfo@example.co.uk',
  'ops@localhost',
  'ops@example.123',
  '.ops@example.com',
  'o..ps@example.com',
  'ops@-example.com',
  'ops@exa_mple.com',
  '@example.com',
  'ops',
  "o'brien+alerts@example.com",
  '',
];

const agree = (f: ChannelFormState) => ({
  form: Object.keys(channelErrors(f)).length === 0,
  server: createChannelInput.safeParse(channelInput(f)).success,
});

describe('the channel form checks what the server’s schema checks', () => {
  it.each(URLS)('webhook URL %s', (url) => {
    const { form: ok, server } = agree(form({ type: 'webhook', url }));
    expect(ok).toBe(server);
  });

  it.each(SECRETS)('webhook signing secret %s', (secret) => {
    const { form: ok, server } = agree(
      form({ type: 'webhook', url: 'https://hooks.example.com/', secret }),
    );
    expect(ok).toBe(server);
  });

  it.each(ADDRESSES)('email addresses %s', (addresses) => {
    const { form: ok, server } = agree(form({ type: 'email', addresses }));
    expect(ok).toBe(server);
  });

  it.each(['', 'a'.repeat(200), 'a'.repeat(201), 'bad\u0001name'])('name %s', (name) => {
    const { form: ok, server } = agree(form({ name, url: 'https://hooks.example.com/' }));
    expect(ok).toBe(server);
  });

  it('trims a name, so one of spaces only is refused before the server sees it', () => {
    expect(channelErrors(form({ name: '   ', url: 'https://hooks.example.com/' })).name).toBe(
      'Enter a name',
    );
    expect(channelInput(form({ name: ' Ops ' })).name).toBe('Ops');
  });

  it('asks Slack for https, as the service does, and sends only the chosen type’s fields', () => {
    expect(channelErrors(form({ type: 'slack', url: 'http://hooks.slack.com/x' })).url).toBe(
      'Must be an https:// URL for a Slack incoming webhook',
    );
    expect(
      channelInput(
        form({
          type: 'slack',
          url: 'https://hooks.slack.com/x',
          secret: 'left over',
          addresses: 'a@b.co',
        }),
      ),
    ).toEqual({ name: 'Ops', enabled: true, type: 'slack', url: 'https://hooks.slack.com/x' });
  });
});
