import type { ChannelAdapter, OutboundMessage, SendOutcome } from '../../channels/adapter';

/**
 * A stand-in provider that keeps what it is given in memory, for the demo and tests until the real
 * provider adapters (nodemailer, twilio, telegraf against local stand-ins) replace it.
 */
export class RecordingAdapter implements ChannelAdapter {
  readonly received: OutboundMessage[] = [];
  /** When each message arrived, by this stand-in's own clock (ms): rate limits are checked on it. */
  readonly receivedAt: number[] = [];

  async send(message: OutboundMessage): Promise<SendOutcome> {
    this.received.push(message);
    this.receivedAt.push(Date.now());
    return { providerMessageId: `recorded-${this.received.length}` };
  }
}
