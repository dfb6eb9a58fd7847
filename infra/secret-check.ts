import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The one constant-time comparison of a secret a request presents (a webhook's shared secret, a
 * provider's signature, a codec server's Authorization) with the one we expect. Both sides are
 * hashed to fixed-length SHA-256 digests first, so `timingSafeEqual` never sees different lengths
 * and neither the content nor the length of the expected secret leaks through timing.
 */
export function secretChecker(expected: string): (given: unknown) => boolean {
  if (expected === '') throw new Error('an empty secret would accept anything');
  const expectedDigest = digest(expected);
  return (given) =>
    typeof given === 'string' && given !== '' && timingSafeEqual(digest(given), expectedDigest);
}

/** One comparison, for a secret known only per request (an expected signature of this body). */
export function sameSecret(given: unknown, expected: string): boolean {
  return expected !== '' && secretChecker(expected)(given);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
