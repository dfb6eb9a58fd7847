import { signMediaUrl, verifyMediaUrl } from '../../../infra/media-url';

const secret = 'a-media-url-secret-of-32-characters!';
const ref = { messageId: '6f1c7a52-0c1e-4d5e-9a44-0b3c8e2f7d11', position: 0 };
const now = new Date('2026-03-02T09:30:00Z');

function partsOf(url: string) {
  const parsed = new URL(url);
  const [, , messageId, position] = parsed.pathname.split('/');
  return {
    ref: { messageId: messageId ?? '', position: Number(position) },
    query: {
      expires: parsed.searchParams.get('expires') ?? undefined,
      signature: parsed.searchParams.get('signature') ?? undefined,
    },
  };
}

test('a signed URL names the file under the public base URL and is accepted until it expires', () => {
  const url = signMediaUrl({ baseUrl: 'https://chat.example/', secret, now, ttlSeconds: 60 }, ref);
  expect(url).toMatch(/^https:\/\/chat\.example\/media\/6f1c7a52-[^/]+\/0\?expires=\d+&signature=[\w-]+$/);
  const { ref: got, query } = partsOf(url);
  expect(got).toEqual(ref);
  expect(verifyMediaUrl(secret, got, query, now)).toEqual({ ok: true });
  expect(verifyMediaUrl(secret, got, query, new Date(now.getTime() + 59_000))).toEqual({ ok: true });
  expect(verifyMediaUrl(secret, got, query, new Date(now.getTime() + 61_000))).toEqual({
    ok: false,
    reason: 'expired',
  });
});

test('another file, a later expiry, another secret or no signature is refused', () => {
  const { query } = partsOf(signMediaUrl({ baseUrl: 'https://chat.example', secret, now }, ref));
  expect(verifyMediaUrl(secret, { ...ref, position: 1 }, query, now)).toEqual({
    ok: false,
    reason: 'bad-signature',
  });
  expect(
    verifyMediaUrl(secret, { ...ref, messageId: '00000000-0000-4000-8000-000000000000' }, query, now),
  ).toEqual({ ok: false, reason: 'bad-signature' });
  expect(
    verifyMediaUrl(secret, ref, { ...query, expires: String(Number(query.expires) + 3600) }, now),
  ).toEqual({
    ok: false,
    reason: 'bad-signature',
  });
  expect(verifyMediaUrl(`${secret}x`, ref, query, now)).toEqual({ ok: false, reason: 'bad-signature' });
  expect(verifyMediaUrl(secret, ref, { expires: query.expires }, now)).toEqual({
    ok: false,
    reason: 'malformed',
  });
  expect(verifyMediaUrl(secret, ref, { expires: 'soon', signature: query.signature }, now)).toEqual({
    ok: false,
    reason: 'malformed',
  });
});
