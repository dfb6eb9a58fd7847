import { ConfigError } from '../../config/environment';
import { temporalConnectionOptions } from '../../config/temporal-connection';

const CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
const KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
const EC_KEY = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');

/** A file system of the test's own: paths to contents; anything else is ENOENT. */
function files(contents: Record<string, Buffer>): (path: string) => Buffer {
  return (path) => {
    const content = contents[path];
    if (!content) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return content;
  };
}

const readFile = files({ '/certs/client.pem': CERT, '/certs/client.key': KEY, '/certs/ca.pem': CA });

function errorOf(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('temporalConnectionOptions', () => {
  test('nothing set: the local server, namespace default, plaintext', () => {
    const settings = temporalConnectionOptions({});
    expect(settings.address).toBe('127.0.0.1:7233');
    expect(settings.namespace).toBe('default');
    expect(settings.client).toEqual({ address: '127.0.0.1:7233' });
    expect(settings.worker).toEqual({ address: '127.0.0.1:7233' });
    expect(settings.summary).toBe('127.0.0.1:7233, namespace default, plaintext');
  });

  test('address and namespace from the environment; empty values count as unset', () => {
    const settings = temporalConnectionOptions({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'livechat-prod',
      TEMPORAL_TLS: '',
      TEMPORAL_TLS_CA: '',
      TEMPORAL_API_KEY: '',
    });
    expect(settings.client).toEqual({ address: 'temporal.internal:7233' });
    expect(settings.namespace).toBe('livechat-prod');
    expect(temporalConnectionOptions({ TEMPORAL_NAMESPACE: '' }).namespace).toBe('default');
  });

  test('a default address can be given by the caller', () => {
    expect(temporalConnectionOptions({}, { defaultAddress: '127.0.0.1:7433' }).address).toBe(
      '127.0.0.1:7433',
    );
  });

  test('IPv6 addresses in brackets are accepted', () => {
    expect(temporalConnectionOptions({ TEMPORAL_ADDRESS: '[::1]:7233' }).address).toBe('[::1]:7233');
  });

  test('TEMPORAL_TLS=true alone: TLS verified against the system CAs', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'on']) {
      const settings = temporalConnectionOptions({ TEMPORAL_TLS: value });
      expect(settings.client.tls).toEqual({});
      expect(settings.worker.tls).toEqual({});
    }
    expect(temporalConnectionOptions({ TEMPORAL_TLS: 'false' }).client.tls).toBeUndefined();
  });

  test('mTLS: the client certificate pair, a private CA and a server name, for both connections', () => {
    const settings = temporalConnectionOptions(
      {
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CERT: '/certs/client.pem',
        TEMPORAL_TLS_KEY: '/certs/client.key',
        TEMPORAL_TLS_CA: '/certs/ca.pem',
        TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.internal',
      },
      { readFile },
    );
    const tls = {
      clientCertPair: { crt: CERT, key: KEY },
      serverRootCACertificate: CA,
      serverNameOverride: 'frontend.temporal.internal',
    };
    expect(settings.client).toEqual({ address: 'temporal.internal:7233', tls });
    expect(settings.worker).toEqual({ address: 'temporal.internal:7233', tls });
    expect(settings.summary).toBe(
      'temporal.internal:7233, namespace default, mTLS, own CA, server name frontend.temporal.internal',
    );
  });

  test('an EC private key is a private key too', () => {
    const settings = temporalConnectionOptions(
      { TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/c.key' },
      { readFile: files({ '/c.pem': CERT, '/c.key': EC_KEY }) },
    );
    expect(settings.worker.tls).toEqual({ clientCertPair: { crt: CERT, key: EC_KEY } });
  });

  test('Temporal Cloud with an API key: TLS on, the key on both connections, never in the summary', () => {
    const settings = temporalConnectionOptions({
      TEMPORAL_ADDRESS: 'livechat.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'livechat.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key',
    });
    expect(settings.client).toEqual({
      address: 'livechat.a1b2c.tmprl.cloud:7233',
      tls: {},
      apiKey: 'secret-api-key',
    });
    expect(settings.worker).toEqual(settings.client);
    expect(settings.summary).toBe('livechat.a1b2c.tmprl.cloud:7233, namespace livechat.a1b2c, TLS, API key');
    expect(settings.summary).not.toContain('secret');
  });

  test('an API key with TEMPORAL_TLS=false is refused, without printing the key', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ TEMPORAL_API_KEY: 'secret-api-key', TEMPORAL_TLS: 'false' }),
    );
    expect(error.message).toContain('TEMPORAL_API_KEY: an API key is only sent over TLS');
    expect(error.message).not.toContain('secret-api-key');
  });

  test('TLS files with TEMPORAL_TLS=false are refused', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA: '/certs/ca.pem' }, { readFile }),
    );
    expect(error.message).toContain('TEMPORAL_TLS_CA: is set but TEMPORAL_TLS=false');
  });

  test('a certificate without its key, or a key without its certificate, is refused', () => {
    expect(
      errorOf(() => temporalConnectionOptions({ TEMPORAL_TLS_CERT: '/certs/client.pem' })).message,
    ).toContain('TEMPORAL_TLS_KEY: mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
    expect(
      errorOf(() => temporalConnectionOptions({ TEMPORAL_TLS_KEY: '/certs/client.key' })).message,
    ).toContain('TEMPORAL_TLS_CERT: mTLS needs both');
  });

  test('malformed values are all named in one error', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({
        TEMPORAL_ADDRESS: 'https://temporal.internal:7233',
        TEMPORAL_TLS: 'maybe',
        TEMPORAL_API_KEY: 'two words',
      }),
    );
    expect(error.message).toMatch(/^invalid Temporal connection settings: /);
    expect(error.message).toContain('TEMPORAL_ADDRESS: must be host:port');
    expect(error.message).toContain('TEMPORAL_TLS: must be true or false, got "maybe"');
    expect(error.message).toContain('TEMPORAL_API_KEY: must be one token');
    expect(error.message).not.toContain('two words');
  });

  test('an address without a port, or with a port out of range, is refused', () => {
    for (const address of ['temporal.internal', 'temporal.internal:99999', ':7233']) {
      expect(errorOf(() => temporalConnectionOptions({ TEMPORAL_ADDRESS: address })).message).toContain(
        'TEMPORAL_ADDRESS: must be host:port',
      );
    }
  });

  test('a missing file names the variable and the path', () => {
    const error = errorOf(() =>
      temporalConnectionOptions({ TEMPORAL_TLS_CA: '/certs/missing.pem' }, { readFile }),
    );
    expect(error.message).toBe('TEMPORAL_TLS_CA: cannot read /certs/missing.pem (ENOENT)');
  });

  test('a file that is not PEM (a key given as the certificate, DER bytes) is refused', () => {
    const swapped = errorOf(() =>
      temporalConnectionOptions(
        { TEMPORAL_TLS_CERT: '/certs/client.key', TEMPORAL_TLS_KEY: '/certs/client.pem' },
        { readFile },
      ),
    );
    expect(swapped.message).toContain('TEMPORAL_TLS_CERT: /certs/client.key is not a PEM certificate');
    const der = errorOf(() =>
      temporalConnectionOptions(
        { TEMPORAL_TLS_CA: '/ca.der' },
        { readFile: files({ '/ca.der': Buffer.from([0x30, 0x82, 0x01]) }) },
      ),
    );
    expect(der.message).toContain('TEMPORAL_TLS_CA: /ca.der is not a PEM certificate');
  });

  test('a key file that is not a private key is refused without printing its content', () => {
    const error = errorOf(() =>
      temporalConnectionOptions(
        { TEMPORAL_TLS_CERT: '/certs/client.pem', TEMPORAL_TLS_KEY: '/certs/ca.pem' },
        { readFile },
      ),
    );
    expect(error.message).toContain('TEMPORAL_TLS_KEY: /certs/ca.pem is not a PEM private key');
    expect(error.message).not.toContain('MIIC');
  });
});
