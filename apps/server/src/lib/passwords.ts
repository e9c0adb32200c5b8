/**
 * Password hashes: scrypt (node:crypto) with a random 16-byte salt per password and its
 * parameters stored beside it — `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` — so that they can be
 * raised later without invalidating stored hashes. Compared in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** Stored hashes with parameters beyond these are refused (a corrupted row must not hang us). */
const MAX_N = 1 << 20;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

function derive(password: string, salt: Buffer, opts: ScryptOptions, length: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      length,
      { ...opts, maxmem: 256 * (opts.N ?? 0) * (opts.r ?? 0) * (opts.p ?? 1) + 1024 * 1024 },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash of a random password: what an unknown email is checked against (same time taken). */
let dummy: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. A missing hash (unknown user, no password set yet) still
 * costs one scrypt, so the answer takes as long either way.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? null : parse(stored);
  if (!parsed) {
    dummy ??= hashPassword(randomBytes(16).toString('hex'));
    const d = parse(await dummy);
    if (d) await derive(password, d.salt, d.params, d.hash.length);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
}

function parse(stored: string): { params: ScryptOptions; salt: Buffer; hash: Buffer } | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > MAX_N || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const hash = Buffer.from(m[5] ?? '', 'base64');
  if (hash.length < 16) return null;
  return { params: { N, r, p }, salt: Buffer.from(m[4] ?? '', 'base64'), hash };
}
