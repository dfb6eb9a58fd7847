// @ts-check
// The API's shapes, taken from the server's own view types (server/operators/views.ts): the page
// is type-checked against what the server really sends.

/** @typedef {import('../../operators/views').SessionView} SessionView */
/** @typedef {import('../../operators/views').MessageView} MessageView */
/** @typedef {import('../../operators/views').AuthorView} AuthorView */
/** @typedef {import('../../operators/views').ContactView} ContactView */
/** @typedef {import('../../operators/views').LiveChatView} LiveChatView */
/** @typedef {import('../../operators/views').ChannelView} ChannelView */
/** @typedef {import('../../operators/views').TemplateView} TemplateView */
/** @typedef {import('../../operators/views').MeView} MeView */
/** @typedef {import('../../operators/views').ConsentView} ConsentView */
/** @typedef {import('../../operators/views').UploadedFileView} UploadedFileView */
/** @typedef {import('../../operators/views').ShiftListView} ShiftListView */
/** @typedef {import('../../operators/views').ShiftSessionView} ShiftSessionView */
/** @typedef {import('../../operators/views').FeedMessageEvent} FeedMessageEvent */
/** @typedef {import('../../operators/views').ContactHistoryView} ContactHistoryView */
/** @typedef {import('../../operators/errors').ErrorBody['error']} ApiErrorBody */

export {};
