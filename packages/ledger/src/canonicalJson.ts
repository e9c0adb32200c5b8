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

// Written with string concatenation and a switch on the type, not map/join: the audit chain runs
// this over every event it verifies, and this form is a quarter faster.
function write(value: unknown): string | undefined {
  let v = value;
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  ) {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
    default:
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (write(v[i]) ?? 'null');
    return out + ']';
  }
  const obj = v as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(obj).sort()) {
    const text = write(obj[k]);
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + text;
    first = false;
  }
  return out + '}';
}
