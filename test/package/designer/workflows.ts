// A designer's workflows file: their own business process, and the one line that brings ours in.
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import { refusalOf, sendLiveChatMessage, type SendLiveChatMessageInput } from 'livechat-temporal/workflows';

export * from 'livechat-temporal/workflows';

export interface OrderReady {
  orderId: string;
  message: SendLiveChatMessageInput;
}

export type OrderOutcome = { notified: string } | { refused: string };

/** Tells the customer the order is ready; a refusal (an unknown customer, say) is handled by its type. */
export async function orderReady(order: OrderReady): Promise<OrderOutcome> {
  try {
    const sent = await executeChild(sendLiveChatMessage, {
      workflowId: `${workflowInfo().workflowId}/notify`,
      args: [order.message],
    });
    return { notified: sent.messageId };
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal?.type === 'ContactNotFound') return { refused: refusal.type };
    throw ApplicationFailure.nonRetryable(`order ${order.orderId}: ${refusal?.type ?? 'failed'}`);
  }
}
