/**
 * The codec server (`npm run codec-server`): decrypts payloads for Temporal UI and the Temporal CLI,
 * with the keys from LIVECHAT_PAYLOAD_KEYS. Run it where the keys may be, and point Temporal UI's
 * "Codec Server" setting (or `--codec-endpoint`) at it. It listens on loopback unless
 * LIVECHAT_CODEC_HOST says otherwise, and then only with LIVECHAT_CODEC_AUTH set.
 */
import Fastify from 'fastify';
import { EncryptionCodec } from '../codec/encryption-codec';
import { PAYLOAD_KEYS_VARIABLE, parsePayloadKeys } from '../codec/payload-keys';
import { ConfigError } from '../config/environment';
import { registerCodecEndpoint } from './codec-endpoint';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function run(): Promise<void> {
  const keys = parsePayloadKeys(process.env[PAYLOAD_KEYS_VARIABLE]);
  if (!keys)
    throw new ConfigError(
      `${PAYLOAD_KEYS_VARIABLE} is not set: the codec server has nothing to decrypt with`,
    );
  const host = process.env.LIVECHAT_CODEC_HOST || '127.0.0.1';
  const port = Number(process.env.LIVECHAT_CODEC_PORT || 8888);
  const authorization = process.env.LIVECHAT_CODEC_AUTH || undefined;
  if (!LOOPBACK.has(host) && authorization === undefined) {
    throw new ConfigError(
      `LIVECHAT_CODEC_HOST=${host} is reachable from other machines: set LIVECHAT_CODEC_AUTH too`,
    );
  }
  const uiOrigin = new URL(process.env.TEMPORAL_UI_URL || 'http://localhost:8233').origin;
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  registerCodecEndpoint(app, {
    codec: new EncryptionCodec(keys),
    allowedOrigins: [uiOrigin],
    ...(authorization !== undefined ? { authorization } : {}),
  });
  const address = await app.listen({ host, port });
  console.log(`codec server on ${address} for ${uiOrigin} (key ${keys.active.id})`);
  const stop = () => void app.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
