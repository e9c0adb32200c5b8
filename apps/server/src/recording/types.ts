/** What the recorder takes and answers: one transaction to evaluate and record, and its outcome. */
import type { Decision, TransactionInput } from '@reins/engine';
import type { StoredResponse } from '@reins/ledger';
import type { DomainError } from '../errors.js';
import type { Phase } from '../schemas/transactions.js';

/** What is stored besides the engine's input. */
export interface TxRecordFields {
  id: string;
  vendor: string;
  model: string | null;
  agentId: string;
  userId: string | null;
  userRoles: string[];
  teamId: string | null;
  projectId: string | null;
  amountMicros: number;
  amountCents: number;
  tokensIn: number;
  tokensOut: number;
  prompt: string | null;
  response: string | null;
  metadata: Record<string, unknown>;
  /** The caller's timestamp (ISO), or the server time. Windows use the server time. */
  occurredAt: string;
  priceSource: string | null;
  priceVersion: string | null;
}

export interface TxRequest {
  orgId: string;
  input: TransactionInput;
  record: TxRecordFields;
  /**
   * `reserve`: an admitted transaction holds its (estimated) amount until settled or voided.
   * `observed`: the call already happened; it is counted whatever the decision (`counts`).
   */
  phase: Phase;
  /** How long a reservation's hold counts toward limits. */
  ttlMs: number;
  /** No amount was given: cost the tokens with the price table (org overrides first). */
  priceFromTokens: boolean;
  /** Of the input tokens, those read from / written to the prompt cache (priced as such). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
  idempotency: {
    key: string;
    hash: string;
    route: string;
    /** The response this outcome answers with, stored with the transaction for replays. */
    respond: (o: TxOutcome) => StoredResponse;
  } | null;
}

export interface TxOutcome {
  id: string;
  decision: Decision;
  evaluatedAt: string;
  countedWindows: string[];
  /** Set for reservations: when the hold stops counting. */
  expiresAt: string | null;
  /** What the transaction was costed at (after pricing from tokens). */
  amountMicros: number;
}

/** What the recorder answers for one request. */
export type TxResult =
  | { kind: 'recorded'; outcome: TxOutcome }
  /** An earlier request with the same idempotency key: its stored answer. */
  | { kind: 'replay'; response: StoredResponse }
  /** Refused before anything was written for it (rate limit, key conflict, unpriced model). */
  | { kind: 'refused'; error: DomainError };
