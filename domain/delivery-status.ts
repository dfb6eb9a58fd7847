import type { DeliveryStatus } from './types';

/**
 * Delivery moves one way: pending → sent → delivered → read, or to failed from pending or sent.
 * Providers' callbacks arrive late, twice, or out of order; a status that would move a message
 * backwards (a late "sent" after "read", "failed" after "delivered") is ignored. A scheduled message
 * cancelled before its time stays cancelled.
 */
const RANK: Record<DeliveryStatus, number> = {
  pending: 0,
  cancelled: 0.5,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 1.5,
};

export function canMoveTo(current: DeliveryStatus, next: DeliveryStatus): boolean {
  if (current === 'failed' || current === 'cancelled') return false;
  return RANK[next] > RANK[current];
}

/** The statuses a message may be in for `next` to apply: for the database's conditional update. */
export function statusesBefore(next: DeliveryStatus): DeliveryStatus[] {
  return (Object.keys(RANK) as DeliveryStatus[]).filter((current) => canMoveTo(current, next));
}
