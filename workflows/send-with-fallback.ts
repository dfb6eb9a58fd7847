import { executeChild, workflowInfo } from '@temporalio/workflow';
import { AllChannelsFailed, InvalidInput } from '../domain/errors';
import type { FallbackAttempt, SendWithFallbackInput, SendWithFallbackResult } from '../domain/types';
import { refusalOf } from './refusal-of';
import { requireInput } from './require-input';
import { sendLiveChatMessage } from './send-live-chat-message';

/** Refusals that say "this channel cannot reach this customer": the next channel may. */
const TRY_NEXT = new Set([
  'DeliveryFailed',
  'ContactHasNoAccount',
  'AccountKindMismatch',
  'InvalidPhoneNumber',
  'InvalidEmail',
  'TelegramChatUnknown',
  'ChannelCannotInitiate',
]);
const MAX_CHANNELS = 5;

/**
 * Send With Fallback: Send Live Chat Message on each channel in turn, as a child workflow per
 * attempt (each with its own history, and its own idempotency key derived from this workflow's),
 * until one delivers. Every attempt is in the result; when none delivers the process fails with
 * `AllChannelsFailed`, whose details list them.
 */
export async function sendWithFallback(input: SendWithFallbackInput): Promise<SendWithFallbackResult> {
  const { channels, ...request } = requireInput(input);
  const problem = channelListProblem(channels);
  if (problem) throw new InvalidInput({ path: 'channels', message: problem }).toFailure();
  if ('sessionId' in (request.to ?? {})) {
    throw new InvalidInput({
      path: 'to',
      message: 'a fallback sends to a contact or an account; a session has one channel',
    }).toFailure();
  }
  const { workflowId } = workflowInfo();
  const attempts: FallbackAttempt[] = [];
  for (const [index, channelId] of channels.entries()) {
    try {
      const result = await executeChild(sendLiveChatMessage, {
        workflowId: `${workflowId}/attempt-${index + 1}`,
        args: [
          {
            ...request,
            channelId,
            ...(request.idempotencyKey
              ? { idempotencyKey: `${request.idempotencyKey}/attempt-${index + 1}` }
              : {}),
          },
        ],
      });
      attempts.push({ channelId, outcome: 'sent', messageId: result.messageId });
      return { ...result, channelId, attempts };
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal || !TRY_NEXT.has(refusal.type)) throw error;
      attempts.push({
        channelId,
        outcome: 'refused',
        refusal: { type: refusal.type, message: refusal.message },
        ...(refusal.messageId ? { messageId: refusal.messageId } : {}),
      });
    }
  }
  // Thrown as an ApplicationFailure: a plain error would fail the workflow task, retried forever.
  throw new AllChannelsFailed({ attempts }).toFailure();
}

function channelListProblem(channels: unknown): string | undefined {
  if (!Array.isArray(channels) || channels.length === 0) return 'give at least one channel';
  if (channels.length > MAX_CHANNELS) return `give at most ${MAX_CHANNELS} channels`;
  if (!channels.every((c) => typeof c === 'string' && c.trim() !== '' && c.length <= 200))
    return 'each channel is a channel id';
  if (new Set(channels).size !== channels.length) return 'a channel is given twice';
  return undefined;
}
