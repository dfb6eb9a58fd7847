import { InvalidInput } from '../domain/errors';

/**
 * A workflow whose input is not an object would fail its workflow task, which Temporal retries
 * forever: the caller would wait for ever. Fail the workflow instead, with our InvalidInput type.
 */
export function requireInput<T>(input: T): T {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInput({ path: '', message: 'expected an object' }).toFailure();
  }
  return input;
}
