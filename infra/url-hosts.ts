/**
 * Which hosts a worker may fetch files from (`ATTACHMENT_URL_HOSTS`): a process names a URL, and the
 * worker fetches it from inside your network, so it must not reach whatever the URL says (a cloud
 * metadata address, an admin page on loopback). Entries are host names or addresses, exact
 * (`files.shop.example`, `127.0.0.1`) or a wildcard for subdomains (`*.shop.example`); no entries,
 * no fetching.
 */
export type HostAllowList = readonly string[];

export function parseHostAllowList(value: string | undefined): HostAllowList {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
}

export function hostAllowed(allowed: HostAllowList, url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return allowed.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
  );
}
