/**
 * The engine's golden vectors: JSON files of (rules, input, window totals, ctx → expected
 * decision). The engine, the SDK and the server run the same files; `checkDecision` compares a
 * decision reached by any of them with what a vector expects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MICROS_PER_CENT,
  parseDocsRule,
  parseTypedRule,
  requiredWindows,
  compile,
  windowBounds,
  windowKey,
  type Decision,
  type EvaluationContext,
  type GroupBy,
  type Period,
  type Rule,
  type TransactionInput,
  type WindowRef,
  type WindowTotalsMap,
} from '../src/index.js';

export interface VectorRule {
  dialect: 'docs' | 'typed';
  id: string;
  createdAt: string;
  body: unknown;
}

export interface VectorWindow {
  period: Period;
  per: GroupBy;
  group: string;
  costCents?: number;
  costMicros?: number;
  tokensIn?: number;
  tokensOut?: number;
  requests?: number;
}

export interface VectorInput extends Omit<TransactionInput, 'amountMicros'> {
  amountCents?: number;
  amountMicros?: number;
}

export interface ExpectedTrace {
  ruleId: string;
  matched: boolean;
  reached?: boolean;
  reasonIncludes?: string;
}

export interface Vector {
  name: string;
  tags?: string[];
  file: string;
  ctx: EvaluationContext;
  rules: VectorRule[];
  input: VectorInput;
  windows?: VectorWindow[];
  expect: {
    action: string;
    ruleId: string | null;
    message?: string;
    details?: Record<string, unknown>;
    trace?: ExpectedTrace[];
    shadow?: string[];
    requiredWindows?: Array<{
      period: Period;
      per: GroupBy;
      group: string;
      start: string;
      end: string;
    }>;
  };
}

export interface InvalidRuleVector {
  name: string;
  dialect: 'docs' | 'typed';
  body: unknown;
  errorPath: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const CASES_DIR = join(here, 'cases');

export function loadVectors(): Vector[] {
  const out: Vector[] = [];
  for (const file of readdirSync(CASES_DIR).sort()) {
    if (!file.endsWith('.json') || file === 'invalid.json') continue;
    const list = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as Omit<Vector, 'file'>[];
    for (const v of list) out.push({ ...v, file });
  }
  return out;
}

export function loadInvalidRules(): InvalidRuleVector[] {
  return JSON.parse(readFileSync(join(CASES_DIR, 'invalid.json'), 'utf8')) as InvalidRuleVector[];
}

export function vectorRules(v: Vector): Rule[] {
  return v.rules.map((r) => {
    const who = { id: r.id, createdAt: r.createdAt };
    const parsed = r.dialect === 'docs' ? parseDocsRule(r.body, who) : parseTypedRule(r.body, who);
    if (!parsed.ok) {
      throw new Error(
        `vector "${v.name}": rule ${r.id} is invalid: ${JSON.stringify(parsed.issues)}`,
      );
    }
    return parsed.value;
  });
}

export function vectorInput(v: Vector): TransactionInput {
  const { amountCents, amountMicros, ...rest } = v.input;
  return { ...rest, amountMicros: amountMicros ?? (amountCents ?? 0) * MICROS_PER_CENT };
}

export function vectorWindows(v: Vector): WindowTotalsMap {
  const out: Record<
    string,
    { costMicros: number; tokensIn: number; tokensOut: number; requests: number }
  > = {};
  const now = typeof v.ctx.now === 'number' ? v.ctx.now : Date.parse(v.ctx.now);
  for (const w of v.windows ?? []) {
    const b = windowBounds(w.period, now, v.ctx.timeZone ?? 'UTC');
    out[windowKey(w.period, w.per, b.startIso, w.group)] = {
      costMicros: w.costMicros ?? (w.costCents ?? 0) * MICROS_PER_CENT,
      tokensIn: w.tokensIn ?? 0,
      tokensOut: w.tokensOut ?? 0,
      requests: w.requests ?? 0,
    };
  }
  return out;
}

const sameInstant = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? Date.parse(a) === Date.parse(b) : a === b;

/** Differences between a decision and what the vector expects; empty when it agrees. */
export function checkDecision(v: Vector, d: Decision, windows?: WindowRef[]): string[] {
  const e = v.expect;
  const problems: string[] = [];
  if (d.action !== e.action) problems.push(`action ${d.action}, expected ${e.action}`);
  if (d.ruleId !== e.ruleId)
    problems.push(`ruleId ${String(d.ruleId)}, expected ${String(e.ruleId)}`);
  if (e.message !== undefined && d.message !== e.message)
    problems.push(`message "${d.message}", expected "${e.message}"`);
  for (const [k, want] of Object.entries(e.details ?? {})) {
    const got = (d.details as unknown as Record<string, unknown>)[k];
    const ok = k === 'resetsAt' ? sameInstant(got, want) : got === want;
    if (!ok) problems.push(`details.${k} ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  if (e.trace) {
    const got = d.trace.map((t) => t.ruleId);
    const want = e.trace.map((t) => t.ruleId);
    if (got.join(',') !== want.join(','))
      problems.push(`trace order [${got.join(', ')}], expected [${want.join(', ')}]`);
    for (const t of e.trace) {
      const g = d.trace.find((x) => x.ruleId === t.ruleId);
      if (!g) continue;
      if (g.matched !== t.matched)
        problems.push(`trace ${t.ruleId} matched ${g.matched}, expected ${t.matched}`);
      if (t.reached !== undefined && g.reached !== t.reached)
        problems.push(`trace ${t.ruleId} reached ${g.reached}, expected ${t.reached}`);
      if (t.reasonIncludes !== undefined && !g.reason.includes(t.reasonIncludes)) {
        problems.push(`trace ${t.ruleId} reason "${g.reason}" lacks "${t.reasonIncludes}"`);
      }
    }
  }
  if (e.shadow) {
    const got = d.shadow.map((s) => s.ruleId).sort();
    const want = [...e.shadow].sort();
    if (got.join(',') !== want.join(','))
      problems.push(`shadow [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (e.requiredWindows && windows) {
    const fmt = (w: { period: string; per: string; group: string; start: string; end: string }) =>
      `${w.period}|${w.per}|${w.group}|${new Date(w.start).toISOString()}|${new Date(w.end).toISOString()}`;
    const got = windows.map(fmt).sort();
    const want = e.requiredWindows.map(fmt).sort();
    if (got.join('\n') !== want.join('\n'))
      problems.push(
        `requiredWindows\n  got  ${got.join('\n       ')}\n  want ${want.join('\n       ')}`,
      );
  }
  return problems;
}

/** The engine's own windows for a vector (what the server must lock and bump). */
export function vectorRequiredWindows(v: Vector): WindowRef[] {
  return requiredWindows(compile(vectorRules(v)), vectorInput(v), v.ctx);
}
