import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { PAYLOAD_KEYS_VARIABLE, parsePayloadKeys } from './payload-keys';

/** The failure converter module the workflow bundle, workers and clients load by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter every worker, client and workflow bundle of one deployment shares: with
 * `LIVECHAT_PAYLOAD_KEYS` set, payloads and failure messages are encrypted; without it, Temporal's
 * defaults (plaintext JSON). Both sides must agree: a worker with keys still reads what a client
 * without them sent, but not the other way round.
 */
export function liveChatDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = parsePayloadKeys(env[PAYLOAD_KEYS_VARIABLE]);
  if (!keys) return undefined;
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** A start-up log line: whether payloads are encrypted, and with which key id (never the key). */
export function describeDataConverter(env: NodeJS.ProcessEnv = process.env): string {
  const keys = parsePayloadKeys(env[PAYLOAD_KEYS_VARIABLE]);
  return keys
    ? `payloads encrypted (AES-256-GCM, key ${keys.active.id}, ${keys.byId.size} key(s) for decryption)`
    : `payloads NOT encrypted: customers' contact data is stored in Temporal in plaintext (set ${PAYLOAD_KEYS_VARIABLE})`;
}
