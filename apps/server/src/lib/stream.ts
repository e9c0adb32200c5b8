import type { Readable } from 'node:stream';

/** A streamed answer (CSV exports): the HTTP layer sends it without buffering it. */
export interface StreamResult {
  contentType: string;
  /** Sent as `Content-Disposition: attachment; filename="…"`. */
  filename?: string;
  stream: Readable;
}
