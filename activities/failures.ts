import { ApplicationFailure } from '@temporalio/activity';
import { isLiveChatError } from '../domain/errors';

/**
 * Turns a domain error into the `ApplicationFailure` a process sees: its type is the error's class
 * name, its details the error's details, and it is not retried (retrying bad input cannot help).
 * Anything else propagates unchanged and is retried by the activity's retry policy.
 */
export async function asProcessFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isLiveChatError(error)) {
      throw ApplicationFailure.create({
        type: error.type,
        message: error.message,
        details: [error.details],
        nonRetryable: error.nonRetryable,
      });
    }
    throw error;
  }
}
