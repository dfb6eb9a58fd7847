import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeyRing } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with, so keys can be rotated. */
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (value: string): Uint8Array => Buffer.from(value, 'utf8');
const text = (value: Uint8Array | null | undefined): string | undefined =>
  value ? Buffer.from(value).toString('utf8') : undefined;

/** A payload this codec cannot open: its key is not configured, or it was altered. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * Encrypts every payload (workflow and activity arguments and results, failures' messages) with
 * AES-256-GCM before it leaves the process, so Temporal stores customers' phone numbers, addresses
 * and texts only as ciphertext. The whole payload (its metadata too) is sealed; the stored payload
 * keeps only the encoding and the key id in the clear. Payloads written before encryption was
 * switched on are decoded as they are.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys.active;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const entry = keyId === undefined ? undefined : this.keys.byId.get(keyId);
      if (!entry) {
        throw new PayloadDecryptionError(
          `payload encrypted with key ${JSON.stringify(keyId ?? '')}, which is not in LIVECHAT_PAYLOAD_KEYS`,
        );
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', entry.key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadDecryptionError(
          `encrypted payload does not open with key ${entry.id}: it was altered`,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
