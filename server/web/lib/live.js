// @ts-check
// The live feed: server-sent events from /api/events.

/** @typedef {import('./types.js').FeedMessageEvent} FeedMessageEvent */

/** @type {EventSource | null} */
let events = null;

/**
 * Connects (again) to the live feed.
 * @param {{ ready: () => void; message: (event: FeedMessageEvent) => void; signedIn: () => boolean }} hooks
 */
export function connectEvents(hooks) {
  disconnectEvents();
  const source = new EventSource('/api/events');
  events = source;
  // After every (re)connection the feed is listening: reload what is shown so nothing falls between.
  source.addEventListener('ready', () => {
    document.body.dataset.live = 'true';
    hooks.ready();
  });
  source.addEventListener('message', (event) => hooks.message(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    document.body.dataset.live = 'false';
    // EventSource reconnects by itself; a closed stream after sign-out stays closed.
    if (!hooks.signedIn()) source.close();
  });
}

export function disconnectEvents() {
  events?.close();
  events = null;
}
