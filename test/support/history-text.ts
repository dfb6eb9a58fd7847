import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../codec/encryption-codec';
import { PAYLOAD_KEYS_VARIABLE, parsePayloadKeys } from '../../codec/payload-keys';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

const isEncrypted = (value: Record<string, unknown>): boolean =>
  value.data instanceof Uint8Array &&
  typeof value.metadata === 'object' &&
  value.metadata !== null &&
  Buffer.from((value.metadata as Record<string, Uint8Array>).encoding ?? []).toString() ===
    ENCRYPTED_ENCODING;

/** Every string and byte string in a history, as stored by Temporal (payloads still encrypted). */
export function storedText(history: History): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}

/**
 * Every string in a workflow history with its payloads decrypted by this run's keys (what Temporal
 * UI shows with the codec server): where tests look for what a history says, or must not say.
 */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const keys = parsePayloadKeys(process.env[PAYLOAD_KEYS_VARIABLE]);
  if (!keys) return storedText(history);
  const codec = new EncryptionCodec(keys);
  const decrypt = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(decrypt));
    if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    if (isEncrypted(record)) return (await codec.decode([record as Payload]))[0];
    const entries = await Promise.all(
      Object.entries(record).map(async ([key, inner]) => [key, await decrypt(inner)] as const),
    );
    return Object.fromEntries(entries);
  };
  return storedText((await decrypt(history)) as History);
}
