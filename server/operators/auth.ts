import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { OperatorStatus } from '../../domain/types';
import { verifyPassword } from './passwords';

/** The cookie that carries an operator's session token. */
export const SESSION_COOKIE = 'livechat_session';
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The operator a request acts as, once its session cookie checked out. */
export interface SignedInOperator {
  id: string;
  name: string;
  email: string | null;
  status: OperatorStatus;
  /** SHA-256 of the session token: identifies this sign-in (to sign it out) without the token. */
  sessionHash: string;
  expiresAt: Date;
}

interface OperatorAuthRow {
  id: string;
  name: string;
  email: string | null;
  status: OperatorStatus;
  password_hash: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes: unguessable, and only its hash is stored. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Checks a sign-in by operator id or email (case-insensitive) and password; the operator on success.
 * Unknown operators and wrong passwords take the same path and the same time.
 */
export async function checkCredentials(
  db: Knex,
  login: { operatorId?: string | undefined; email?: string | undefined },
  password: string,
): Promise<OperatorAuthRow | undefined> {
  const query = db<OperatorAuthRow>('operators').select('id', 'name', 'email', 'status', 'password_hash');
  if (login.operatorId !== undefined) query.where({ id: login.operatorId });
  else if (login.email !== undefined) query.whereRaw('lower(email) = lower(?)', [login.email]);
  else return undefined;
  // An email shared by two operators names nobody: refuse instead of picking one.
  const rows = await query.limit(2);
  const row = rows.length === 1 ? rows[0] : undefined;
  const ok = await verifyPassword(password, row?.password_hash);
  return ok ? row : undefined;
}

/** Starts a sign-in session; returns the token for the cookie (the database keeps only its hash). */
export async function createOperatorSession(
  db: Knex,
  operatorId: string,
  now: Date,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await db.transaction(async (trx) => {
    // Housekeeping on the way in: this operator's expired sessions are of no use to anyone.
    await trx('operator_sessions').where({ operator_id: operatorId }).where('expires_at', '<=', now).delete();
    await trx('operator_sessions').insert({
      token_hash: hashToken(token),
      operator_id: operatorId,
      created_at: now,
      expires_at: expiresAt,
    });
  });
  return { token, expiresAt };
}

/** The operator of an unexpired session with this token hash. */
export async function operatorOfSession(
  db: Knex,
  tokenHash: string,
  now: Date,
): Promise<SignedInOperator | undefined> {
  const row = await db('operator_sessions as s')
    .join('operators as o', 'o.id', 's.operator_id')
    .where('s.token_hash', tokenHash)
    .where('s.expires_at', '>', now)
    .first<
      { id: string; name: string; email: string | null; status: OperatorStatus; expires_at: Date } | undefined
    >('o.id', 'o.name', 'o.email', 'o.status', 's.expires_at');
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    status: row.status,
    sessionHash: tokenHash,
    expiresAt: row.expires_at,
  };
}

export async function deleteOperatorSession(db: Knex, tokenHash: string): Promise<void> {
  await db('operator_sessions').where({ token_hash: tokenHash }).delete();
}

/**
 * Failed sign-ins per login name within a window: after `max` of them further attempts are refused
 * until the window passes, which turns password guessing into a crawl. In memory, per server process.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 15 * 60 * 1000,
  ) {}

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }

  blocked(key: string, now: number): boolean {
    return this.recent(key, now).length >= this.max;
  }

  fail(key: string, now: number): void {
    this.failures.set(key, [...this.recent(key, now), now]);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}
