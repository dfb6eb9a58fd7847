import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CONTACT_SEARCH_ATTRIBUTE } from '../domain/search-attributes';
import { DATABASE_STEP } from './activity-options';

// A few tries only: the refusal it follows matters more than the marking.
const { contactTagsOf } = proxyActivities<Activities>({
  ...DATABASE_STEP,
  scheduleToCloseTimeout: '20 seconds',
  retry: { ...DATABASE_STEP.retry, maximumAttempts: 3 },
});

/**
 * Marks this execution with the keyed hashes of its customer (the `LiveChatContacts` search
 * attribute), so that an erasure finds it; the steps return them only where the namespace has the
 * attribute (ActivityDeps.contactSearchAttribute).
 */
export function tagContact(tags: string[] | undefined): void {
  if (tags && tags.length > 0) upsertSearchAttributes({ [CONTACT_SEARCH_ATTRIBUTE]: tags });
}

/**
 * Runs the first step; when it refuses, the execution is marked with the customer it was for (its
 * input holds them) before the refusal goes on. Patched: histories from before replay as they ran.
 */
export async function taggedOnRefusal<T>(
  request: { to?: unknown; customer?: unknown },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (patched('contact-tags-on-refusal')) {
      const tags = await contactTagsOf(request).catch(() => []);
      tagContact(tags);
    }
    throw error;
  }
}
