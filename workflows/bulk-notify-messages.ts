import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BulkProgress } from '../domain/types';

// What a running Bulk Notify answers: clients import these to query and steer it.
export const bulkProgressQuery = defineQuery<BulkProgress>('bulkProgress');
/** Finishes the sends in flight, starts no more until resumed; answers with the progress. */
export const pauseBulkUpdate = defineUpdate<BulkProgress>('pauseBulk');
export const resumeBulkUpdate = defineUpdate<BulkProgress>('resumeBulk');
/** Finishes the sends in flight and ends the run; the rest are counted as cancelled. */
export const cancelBulkUpdate = defineUpdate<BulkProgress>('cancelBulk');
