import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { Recipient, SendLiveChatMessageResult } from '../../domain/types';
import { notifyCustomer } from '../../workflows/notify-customer';

/** What the shop's system reports when an order can be picked up. */
export interface OrderReady {
  store: string;
}

export interface OrderReadyNotificationInput {
  orderNumber: string;
  liveChatId: string;
  channelId: string;
  customer: Recipient;
  /** The administrator's wording, with the process's variables. */
  template?: string;
}

export const orderReadySignal = defineSignal<[OrderReady]>('orderReady');
export const orderStatusQuery = defineQuery<'waiting' | 'notified'>('status');

const DEFAULT_TEMPLATE = 'Hello! Your order #{{number}} is ready for pickup at {{store}}.';

/**
 * An example business process, wired the way an administrator would: it waits until the order is
 * ready (a signal from the shop's system), then tells the customer through Send Live Chat Message.
 */
export async function orderReadyNotification(
  input: OrderReadyNotificationInput,
): Promise<SendLiveChatMessageResult> {
  let ready: OrderReady | undefined;
  setHandler(orderReadySignal, (event) => {
    ready = event;
  });
  setHandler(orderStatusQuery, () => (ready ? 'notified' : 'waiting'));
  await condition(() => ready !== undefined);
  const { store } = ready as OrderReady;

  return notifyCustomer('order-ready', {
    liveChatId: input.liveChatId,
    channelId: input.channelId,
    to: input.customer,
    text: input.template ?? DEFAULT_TEMPLATE,
    variables: { number: input.orderNumber, store },
  });
}
