/**
 * One delivery attempt to one channel, outside any database transaction. Every attempt carries
 * the outbox row's id (`X-Reins-Delivery`, `Idempotency-Key`, the webhook body's `id`, the
 * email's Message-ID): delivery is at least once, and that id is what a receiver dedupes on.
 */
import { createTransport } from 'nodemailer';
import type { AttemptOutcome } from './backoff.js';
import { postJson, type PostResult } from './http.js';
import {
  emailMessage,
  slackMessage,
  webhookBody,
  type ChannelTarget,
  type OutboxItem,
} from './messages.js';
import { signWebhook } from './signing.js';

export const USER_AGENT = 'Reins-Notifications/1';

/** Response bytes read at most: enough for an error message, never a flood. */
export const RESPONSE_CAP_BYTES = 64 * 1024;

export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

/** Sends email; `undefined` when no SMTP server is configured. */
export interface Mailer {
  send(msg: EmailMessage): Promise<void>;
  close(): void;
}

export interface DeliveryDeps {
  timeoutMs: number;
  capBytes: number;
  /** Cancels the attempt (none by default: an attempt is bounded by its timeout). */
  signal?: AbortSignal;
  now: Date;
  mailer: Mailer | undefined;
}

/** Whether an HTTP answer is delivered, worth retrying, or refused for good. */
export function classifyHttp(res: PostResult): AttemptOutcome {
  const s = res.status;
  if (s >= 200 && s < 300) return { ok: true };
  const snippet = res.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const error = `HTTP ${String(s)}${snippet ? `: ${snippet}` : ''}`;
  if (s >= 300 && s < 400) {
    return {
      ok: false,
      retry: false,
      error: `HTTP ${String(s)}: redirect${res.location ? ` to ${res.location}` : ''} not followed (deliveries go only to the configured URL)`,
    };
  }
  // Timeouts, "too early", rate limits and server errors pass; other 4xx mean the receiver
  // refuses this request and will refuse it again.
  if (s === 408 || s === 425 || s === 429 || s >= 500 || s < 200) {
    const after = retryAfterMs(res.retryAfter);
    return {
      ok: false,
      retry: true,
      error,
      ...(after === undefined ? {} : { retryAfterMs: after }),
    };
  }
  return { ok: false, retry: false, error };
}

/** `Retry-After` as seconds (the form Slack and most APIs send); an HTTP date is ignored. */
export function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d{1,7}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  deps: DeliveryDeps,
): Promise<AttemptOutcome> {
  try {
    const res = await postJson(url, body, headers, {
      timeoutMs: deps.timeoutMs,
      capBytes: deps.capBytes,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    return classifyHttp(res);
  } catch (err) {
    return { ok: false, retry: true, error: errorText(err) };
  }
}

export function idHeaders(item: OutboxItem, attempt: number): Record<string, string> {
  return {
    'user-agent': USER_AGENT,
    'x-reins-delivery': item.id,
    'idempotency-key': item.id,
    'x-reins-attempt': String(attempt),
  };
}

export async function deliver(
  item: OutboxItem,
  attempt: number,
  target: ChannelTarget,
  deps: DeliveryDeps,
): Promise<AttemptOutcome> {
  switch (target.type) {
    case 'webhook': {
      const body = webhookBody(item);
      const ts = Math.floor(deps.now.getTime() / 1000);
      return post(
        target.url,
        body,
        {
          ...idHeaders(item, attempt),
          'x-reins-event': 'policy.alert',
          'x-reins-timestamp': String(ts),
          'x-reins-signature': signWebhook(target.secret, ts, body),
        },
        deps,
      );
    }
    case 'slack':
      return post(target.url, JSON.stringify(slackMessage(item)), idHeaders(item, attempt), deps);
    case 'email': {
      if (!deps.mailer) {
        return {
          ok: false,
          retry: true,
          error: 'email is not configured: set SMTP_URL on the worker to deliver email channels',
        };
      }
      const { subject, text } = emailMessage(item);
      try {
        await withDeadline(
          deps.mailer.send({
            to: target.addresses,
            subject,
            text,
            messageId: `<${item.id}@reins.notifications>`,
            headers: { 'X-Reins-Delivery': item.id, 'X-Reins-Attempt': String(attempt) },
          }),
          deps.timeoutMs,
        );
        return { ok: true };
      } catch (err) {
        // An SMTP 5xx reply is a permanent refusal (unknown mailbox, policy); 4xx and network
        // errors are worth another try.
        const code = (err as { responseCode?: unknown }).responseCode;
        const permanent = typeof code === 'number' && code >= 500;
        return { ok: false, retry: !permanent, error: `SMTP: ${errorText(err)}` };
      }
    }
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${String(ms)} ms`));
    }, ms);
  });
  return Promise.race([p, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

/** Email over the SMTP server at `smtpUrl` (smtp:// or smtps://, credentials in the URL). */
export function smtpMailer(smtpUrl: string, from: string, timeoutMs: number): Mailer {
  // Each phase of the SMTP exchange is bounded, not only the whole (`withDeadline`).
  const transport = createTransport(
    {
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    },
    { from },
  );
  return {
    async send(msg) {
      await transport.sendMail({
        from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        messageId: msg.messageId,
        headers: msg.headers,
      });
    },
    close() {
      transport.close();
    },
  };
}
