/**
 * Real local receivers for tests and the benchmark: an HTTP server on 127.0.0.1:0 whose answer
 * to the n-th request a test decides (a status, a hang, a huge body), and an SMTP server
 * (`smtp-server`) that keeps what it receives.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  n: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the n-th request (1-based) gets. */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'hang'
  | { stream: number; status: number };

export interface HttpReceiver {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(
  reply: (req: ReceivedRequest) => Reply | Promise<Reply> = () => ({ status: 200, body: 'ok' }),
): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        n: received.length + 1,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      void Promise.resolve(reply(r)).then((answer) => {
        if (answer === 'hang') {
          hanging.add(res);
          return;
        }
        if ('stream' in answer) {
          // A body that never ends: `stream` bytes, then silence.
          res.writeHead(answer.status, { 'content-type': 'text/plain' });
          res.write(Buffer.alloc(answer.stream, 'x'));
          hanging.add(res);
          return;
        }
        res.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/hook`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpReceiver {
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/** A plain SMTP server without TLS or authentication, for `smtp://127.0.0.1:<port>`. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        received.push({
          from: from ? from.address : '',
          to: session.envelope.rcptTo.map((a) => a.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${String(port)}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
