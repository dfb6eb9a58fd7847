import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Knex } from 'knex';
import { InvalidInput, OperatorNotFound } from '../../domain/errors';

/**
 * Operators' passwords, hashed with scrypt and a random salt per password. The stored form names its
 * parameters (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking old hashes.
 */
const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;

export const MIN_PASSWORD_LENGTH = 8;
/** scrypt's cost grows with the input: a cap keeps a sign-in request from being made expensive. */
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, params: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...params, maxmem: 64 * 1024 * 1024 }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  params: ScryptOptions;
  salt: Buffer;
  key: Buffer;
}

function parseStored(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/** A hash no password matches, so a sign-in for an unknown operator costs as much as a real one. */
let decoy: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. With no stored hash (unknown operator, no password set) it
 * still runs scrypt once, so the answer's timing does not tell which operators exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parseStored(stored) : undefined;
  if (!parsed) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const fallback = parseStored(await decoy);
    if (fallback) await derive(password, fallback.salt, fallback.params, fallback.key.length);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidInput({
      path: 'password',
      message: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`,
    });
  }
}

/**
 * For administrators (and the workspace's demo seed, and tests): sets an operator's password and
 * signs them out everywhere, so an old password's sessions do not outlive it.
 */
export async function setOperatorPassword(db: Knex, operatorId: string, password: string): Promise<void> {
  checkPasswordStrength(password);
  const hash = await hashPassword(password);
  await db.transaction(async (trx) => {
    const updated = await trx('operators').where({ id: operatorId }).update({ password_hash: hash });
    if (updated === 0) throw new OperatorNotFound({ userId: operatorId });
    await trx('operator_sessions').where({ operator_id: operatorId }).delete();
  });
}
