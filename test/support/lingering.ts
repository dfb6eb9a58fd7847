/**
 * What still keeps the test process alive once the suite is done: a socket, a timer or a child
 * process some test did not close keeps Jest from exiting (and CI from finishing). Printed after the
 * global teardown, so the next engineer sees the kind of resource to look for instead of a silent hang.
 */
export function reportLingeringResources(after = 3_000): void {
  const timer = setTimeout(() => {
    const kinds = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
    if (kinds.length === 0) return;
    const counts = new Map<string, number>();
    for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    console.warn(
      `resources still open ${after / 1000} s after the suite: ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    );
  }, after);
  timer.unref();
}
