import type { Knex } from 'knex';
import * as schemaV1 from './001-schema-v1';
import * as operatorAuth from './002-operator-auth';
import * as dispatchUncertainty from './003-dispatch-uncertainty';
import * as bulkNotifications from './004-bulk-notifications';
import * as attachments from './005-attachments';
import * as scheduledSends from './006-scheduled-sends';
import * as inboundKeptWhole from './008-inbound-kept-whole';
import * as telegramPollLease from './009-telegram-poll-lease';
import * as liveWorkspace from './010-live-workspace';
import * as dispatchRateBuckets from './011-dispatch-rate-buckets';
import * as emailInbox from './007-email-inbox';
import * as consent from './012-consent';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations listed explicitly, so they run the same under tsx, jest and compiled JavaScript. */
const MIGRATIONS: Record<string, Migration> = {
  '001-schema-v1': schemaV1,
  '002-operator-auth': operatorAuth,
  '003-dispatch-uncertainty': dispatchUncertainty,
  '004-bulk-notifications': bulkNotifications,
  '005-attachments': attachments,
  '006-scheduled-sends': scheduledSends,
  '008-inbound-kept-whole': inboundKeptWhole,
  '009-telegram-poll-lease': telegramPollLease,
  '010-live-workspace': liveWorkspace,
  '011-dispatch-rate-buckets': dispatchRateBuckets,
  '007-email-inbox': emailInbox,
  '012-consent': consent,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};
