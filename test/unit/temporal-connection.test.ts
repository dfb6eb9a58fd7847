import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../config/environment';
import { temporalConnectionOptions } from '../../config/temporal-connection';

const CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
const KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');

let dir: string;
const file = (name: string) => path.join(dir, name);
/** No profile file unless a test names one: the machine's own ~/.config/temporalio is never read. */
const NO_FILE = () => ({ TEMPORAL_CONFIG_FILE: file('absent.toml') });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-envconfig-'));
  fs.writeFileSync(file('client.pem'), CERT);
  fs.writeFileSync(file('client.key'), KEY);
  fs.writeFileSync(file('ca.pem'), CA);
  fs.writeFileSync(
    file('temporal.toml'),
    [
      '[profile.default]',
      'address = "temporal.internal:7233"',
      'namespace = "livechat-staging"',
      '',
      '[profile.prod]',
      'address = "livechat.a1b2c.tmprl.cloud:7233"',
      'namespace = "livechat.a1b2c"',
      'api_key = "profile-api-key"',
      '',
      '[profile.mtls]',
      'address = "temporal.internal:7233"',
      '[profile.mtls.tls]',
      `client_cert_path = "${file('client.pem')}"`,
      `client_key_path = "${file('client.key')}"`,
      `server_ca_cert_path = "${file('ca.pem')}"`,
      'server_name = "frontend.temporal.internal"',
      '',
    ].join('\n'),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function errorOf(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('temporalConnectionOptions (@temporalio/envconfig: profiles and the standard variables)', () => {
  test('nothing set: the local server, namespace default, plaintext', () => {
    const settings = temporalConnectionOptions(NO_FILE());
    expect(settings.address).toBe('127.0.0.1:7233');
    expect(settings.namespace).toBe('default');
    expect(settings.client).toEqual({ address: '127.0.0.1:7233' });
    expect(settings.worker).toEqual({ address: '127.0.0.1:7233' });
    expect(settings.summary).toBe('127.0.0.1:7233, namespace default, plaintext');
  });

  test('address and namespace from the environment; empty values count as unset', () => {
    const settings = temporalConnectionOptions({
      ...NO_FILE(),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'livechat-prod',
      TEMPORAL_TLS: '',
      TEMPORAL_API_KEY: '',
    });
    expect(settings.client).toEqual({ address: 'temporal.internal:7233' });
    expect(settings.namespace).toBe('livechat-prod');
    expect(temporalConnectionOptions({ ...NO_FILE(), TEMPORAL_NAMESPACE: '' }).namespace).toBe('default');
  });

  test('the default profile of TEMPORAL_CONFIG_FILE, with the environment on top of it', () => {
    const fromFile = temporalConnectionOptions({ TEMPORAL_CONFIG_FILE: file('temporal.toml') });
    expect(fromFile.address).toBe('temporal.internal:7233');
    expect(fromFile.namespace).toBe('livechat-staging');
    const overridden = temporalConnectionOptions({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_NAMESPACE: 'livechat-canary',
    });
    expect(overridden.address).toBe('temporal.internal:7233');
    expect(overridden.namespace).toBe('livechat-canary');
  });

  test('TEMPORAL_PROFILE picks a profile: Temporal Cloud with an API key, TLS on, the key never in the summary', () => {
    const settings = temporalConnectionOptions({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'prod',
    });
    expect(settings.client).toEqual({
      address: 'livechat.a1b2c.tmprl.cloud:7233',
      tls: true,
      apiKey: 'profile-api-key',
    });
    expect(settings.worker).toEqual(settings.client);
    expect(settings.summary).toBe(
      'livechat.a1b2c.tmprl.cloud:7233, namespace livechat.a1b2c, profile prod, TLS, API key',
    );
    const key = temporalConnectionOptions({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_API_KEY: 'env-api-key',
    });
    expect(key.client.apiKey).toBe('env-api-key');
  });

  test('mTLS from a profile: the certificate pair, a private CA and a server name, for both connections', () => {
    const settings = temporalConnectionOptions({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'mtls',
    });
    expect(settings.client.tls).toEqual(
      expect.objectContaining({
        clientCertPair: { crt: new Uint8Array(CERT), key: new Uint8Array(KEY) },
        serverRootCACertificate: new Uint8Array(CA),
        serverNameOverride: 'frontend.temporal.internal',
      }),
    );
    expect(settings.worker).toEqual(settings.client);
    expect(settings.summary).toBe(
      'temporal.internal:7233, namespace default, profile mtls, mTLS, own CA, server name frontend.temporal.internal',
    );
  });

  test('mTLS from the standard variables', () => {
    const settings = temporalConnectionOptions({
      ...NO_FILE(),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
    });
    expect(settings.worker.tls).toEqual(
      expect.objectContaining({ clientCertPair: { crt: new Uint8Array(CERT), key: new Uint8Array(KEY) } }),
    );
  });

  test('our earlier variable names are refused, each named with the standard one that replaces it', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({
        ...NO_FILE(),
        TEMPORAL_TLS_CERT: file('client.pem'),
        TEMPORAL_TLS_KEY: file('client.key'),
        TEMPORAL_TLS_CA: file('ca.pem'),
      }),
    );
    expect(error.message).toContain(
      'TEMPORAL_TLS_CERT is no longer read, set TEMPORAL_TLS_CLIENT_CERT_PATH instead',
    );
    expect(error.message).toContain(
      'TEMPORAL_TLS_KEY is no longer read, set TEMPORAL_TLS_CLIENT_KEY_PATH instead',
    );
    expect(error.message).toContain(
      'TEMPORAL_TLS_CA is no longer read, set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead',
    );
  });

  test('an API key with TEMPORAL_TLS=false is refused, without printing the key', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ ...NO_FILE(), TEMPORAL_API_KEY: 'secret-api-key', TEMPORAL_TLS: 'false' }),
    );
    expect(error.message).toContain('TEMPORAL_API_KEY: an API key is only sent over TLS');
    expect(error.message).not.toContain('secret-api-key');
  });

  test('a certificate without its key is refused', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ ...NO_FILE(), TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') }),
    );
    expect(error.message).toContain('mTLS needs both the client certificate and its key');
  });

  test('an address without a port, with a scheme or with a port out of range, is refused', () => {
    for (const address of [
      'temporal.internal',
      'temporal.internal:99999',
      'https://temporal.internal:7233',
    ]) {
      expect(
        errorOf(() => temporalConnectionOptions({ ...NO_FILE(), TEMPORAL_ADDRESS: address })).message,
      ).toContain('TEMPORAL_ADDRESS: must be host:port');
    }
  });

  test('a missing file names its path', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ ...NO_FILE(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('missing.pem') }),
    );
    expect(error.message).toBe(
      `invalid Temporal connection settings: cannot read ${file('missing.pem')} (ENOENT)`,
    );
  });

  test('a key given as the certificate is refused without printing the content', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({
        ...NO_FILE(),
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.key'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('ca.pem'),
      }),
    );
    expect(error.message).toContain('the client certificate is not a PEM certificate');
    expect(error.message).toContain('the client key is not a PEM private key');
    expect(error.message).not.toContain('MII');
  });

  test('a profile file that does not parse is a ConfigError', () => {
    fs.writeFileSync(file('broken.toml'), '[profile.default\naddress = ');
    expect(
      errorOf(() => temporalConnectionOptions({ TEMPORAL_CONFIG_FILE: file('broken.toml') })).message,
    ).toMatch(/^invalid Temporal connection settings: /);
  });
});
