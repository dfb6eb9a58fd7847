/**
 * The pure domain: types, typed errors, the channel table, address normalisation, templates, limits.
 *
 * Workflows should import `domain/errors` and `domain/types` directly rather than this index: the
 * index also pulls in Handlebars (which requires `fs`) and the phone metadata, which Temporal's
 * workflow bundler would refuse or carry needlessly.
 */
export * from './types';
export * from './errors';
export * from './channels';
export * from './phone';
export * from './email';
export * from './telegram';
export * from './templates';
export * from './limits';
export * from './attachments';
