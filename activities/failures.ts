import { isLiveChatError } from '../domain/errors';

/**
 * Turns an error of the catalogue (domain/errors.ts) into the `ApplicationFailure` a process sees:
 * its type, message and details, retried or not as the catalogue says. Anything else propagates
 * unchanged and is retried by the activity's retry policy.
 */
export async function asProcessFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isLiveChatError(error)) throw error.toFailure();
    throw error;
  }
}
