/**
 * The one canonical JSON of Reins: what idempotency keys hash a request body with and what the
 * audit chain hashes an event with. It is `JSON.stringify` — the same values, escapes and
 * omissions (`toJSON` honoured; `undefined`, functions and symbols dropped from objects and
 * written `null` in arrays; non-finite numbers `null`) — with object keys sorted by UTF-16 code
 * units at every depth and no whitespace, so that equal values give equal text whatever the
 * order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  let v = value;
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  ) {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x: unknown) => write(x) ?? 'null').join(',')}]`;
  const obj = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const text = write(obj[k]);
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
