/** `*` globs, compiled once: exact values go in a set, patterns become anchored regexes. */

export interface ListMatcher {
  /** The list as written (for reasons). */
  readonly source: readonly string[];
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  readonly caseInsensitive: boolean;
}

export function isGlob(value: string): boolean {
  return value.includes('*');
}

function globToRegExp(glob: string, caseInsensitive: boolean): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

export function compileList(values: readonly string[], caseInsensitive: boolean): ListMatcher {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const v of values) {
    if (isGlob(v)) patterns.push(globToRegExp(v, caseInsensitive));
    else exact.add(caseInsensitive ? v.toLowerCase() : v);
  }
  return { source: values, exact, patterns, caseInsensitive };
}

/** `value` must already be lower-cased when the matcher is case-insensitive. */
export function listMatches(m: ListMatcher, value: string): boolean {
  if (m.exact.has(value)) return true;
  for (const p of m.patterns) if (p.test(value)) return true;
  return false;
}

export function globMatches(glob: string, value: string, caseInsensitive: boolean): boolean {
  return isGlob(glob)
    ? globToRegExp(glob, caseInsensitive).test(value)
    : caseInsensitive
      ? glob.toLowerCase() === value.toLowerCase()
      : glob === value;
}
