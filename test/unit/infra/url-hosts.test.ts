import { hostAllowed, parseHostAllowList } from '../../../infra/url-hosts';

test('entries are trimmed, lower-cased and empty ones dropped; unset allows nothing', () => {
  expect(parseHostAllowList(' Files.Shop.Example, *.cdn.example ,,')).toEqual([
    'files.shop.example',
    '*.cdn.example',
  ]);
  expect(parseHostAllowList(undefined)).toEqual([]);
  expect(hostAllowed([], new URL('https://files.shop.example/a.pdf'))).toBe(false);
});

test.each([
  ['https://files.shop.example/a.pdf', true],
  ['https://FILES.shop.example:8443/a.pdf', true],
  ['https://eu.cdn.example/a.pdf', true],
  ['https://a.b.cdn.example/a.pdf', true],
  // The wildcard is for subdomains only, and a suffix is not a subdomain.
  ['https://cdn.example/a.pdf', false],
  ['https://evilcdn.example/a.pdf', false],
  ['https://files.shop.example.evil.example/a.pdf', false],
  ['http://169.254.169.254/latest/meta-data/', false],
  ['http://[::1]:8080/a.pdf', true],
])('%s → %s', (url, allowed) => {
  expect(hostAllowed(['files.shop.example', '*.cdn.example', '::1'], new URL(url))).toBe(allowed);
});
