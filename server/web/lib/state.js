// @ts-check
// What the page knows right now, shared by its screens.

/**
 * @typedef {import('./types.js').MeView} MeView
 * @typedef {import('./types.js').LiveChatView} LiveChatView
 * @typedef {import('./types.js').SessionView} SessionView
 * @typedef {{ kind: 'session' | 'contact'; id: string }} View
 */

export const state = {
  /** @type {MeView | null} */
  me: null,
  /** @type {LiveChatView[]} */
  liveChats: [],
  /** @type {SessionView[]} */
  sessions: [],
  /** What the main pane shows, or null. @type {View | null} */
  view: null,
};
