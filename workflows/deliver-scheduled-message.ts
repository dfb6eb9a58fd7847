import type { ChannelKind, DeliveryStatus } from '../domain/types';
import { scheduledSend } from './scheduled-send';

/**
 * One recorded message that must wait for its time (a bulk recipient in their quiet hours): its
 * own small workflow, so the process that recorded it goes on. Answers `sendState` and takes
 * `cancelScheduledSend`, as Send Live Chat Message does.
 */
export async function deliverScheduledMessage(input: {
  messageId: string;
  channelKind: ChannelKind;
  scheduledFor: string;
}): Promise<{ messageId: string; status: DeliveryStatus }> {
  const { status } = await scheduledSend().deliver(input);
  return { messageId: input.messageId, status };
}
