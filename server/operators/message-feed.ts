import type { Knex } from 'knex';
import { Client, type ClientConfig } from 'pg';
import { databaseNow, messagesByIds, messagesChangedSince, type MessageRecord } from './queries';

/** The channel migration 010's trigger announces every new or changed message on, with its id. */
export const MESSAGE_CHANNEL = 'livechat_message';

export interface FeedSubscriber {
  /** Live chats whose messages this subscriber may see; the route keeps it current. */
  liveChatIds: ReadonlySet<string>;
  deliver(message: MessageRecord): void;
}

export interface MessageFeedOptions {
  /**
   * LISTEN for the trigger's notifications on a connection of the feed's own (default: whenever the
   * pool has more than one connection; the embedded PostgreSQL serves one, which a listener would hold
   * for good, so there the feed polls).
   */
  listen?: boolean;
  /** Polling: how often to look. Listening: how often to look while the listener is down. */
  intervalMs?: number;
  /** Listening: how often to look anyway, for anything a lost connection took with it. */
  safetyIntervalMs?: number;
  /** Listening: how long to wait before connecting again after the listener's connection failed. */
  reconnectMs?: number;
  /**
   * How far back each look reaches beyond the previous one. A message row becomes visible at its
   * transaction's commit, but carries a time from earlier (the transaction's start, or the worker's
   * clock for status changes), so each look overlaps the last; what was already delivered is skipped.
   */
  overlapMs?: number;
  batchSize?: number;
  onError?: (error: unknown) => void;
}

/**
 * New and changed messages, pushed to the workspace's open pages. Each server LISTENs on
 * `livechat_message`, which migration 010's trigger notifies with a message's id at the commit of
 * whatever wrote it (a process's worker, an inbound webhook, a delivery callback, another server): the
 * feed reads those messages and hands each to the subscribers allowed to see it, at once. A look over
 * the recent window by `updated_at` (the same as polling) runs when the feed starts, after the listener
 * reconnects, and every `safetyIntervalMs`, so nothing a dropped connection lost stays missing; without
 * a listener (the embedded PostgreSQL, or `listen: false`) that look runs every `intervalMs`. It only
 * runs while someone listens.
 */
export class MessageFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  /** What each recently changed message looked like when last delivered, to deliver each change once. */
  private readonly delivered = new Map<string, { version: string; updatedAt: number }>();
  private since: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** Bumped by every pause, so work under way then (a look, a reconnection) does not go on. */
  private generation = 0;
  private listener: Client | undefined;
  /** Message ids heard about and not read yet. */
  private readonly heard = new Set<string>();
  /** The generation whose reading is under way (one at a time), and whether more came meanwhile. */
  private busy = -1;
  private again = false;
  private lookDue = false;
  private readonly intervalMs: number;
  private readonly safetyIntervalMs: number;
  private readonly reconnectMs: number;
  private readonly overlapMs: number;
  private readonly batchSize: number;
  private readonly listens: boolean;

  constructor(
    private readonly db: Knex,
    private readonly options: MessageFeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.safetyIntervalMs = options.safetyIntervalMs ?? 15_000;
    this.reconnectMs = options.reconnectMs ?? 1000;
    this.overlapMs = options.overlapMs ?? 10_000;
    this.batchSize = options.batchSize ?? 1000;
    this.listens = options.listen ?? poolSize(db) > 1;
  }

  /**
   * Adds a subscriber; resolves once the feed knows where "now" is, so every change after that
   * reaches it (a page loads its lists after this, and changes in between come twice at worst).
   */
  async subscribe(subscriber: FeedSubscriber): Promise<() => void> {
    this.subscribers.add(subscriber);
    try {
      await this.start();
    } catch (error) {
      this.subscribers.delete(subscriber);
      throw error;
    }
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.pause();
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Whether notifications are being heard right now (else the feed polls). */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Stops for good (server shutdown). */
  close(): void {
    this.stopped = true;
    this.subscribers.clear();
    this.pause();
  }

  private start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the message feed is closed'));
    const generation = this.generation;
    this.starting ??= this.prime(generation).then(
      async () => {
        if (this.listens) {
          try {
            await this.listen(generation);
          } catch (error) {
            // The feed polls meanwhile, and tries again.
            this.options.onError?.(error);
            this.relisten(generation);
          }
        }
        this.schedule(generation);
      },
      (error: unknown) => {
        this.starting = undefined;
        throw error;
      },
    );
    return this.starting;
  }

  private pause(): void {
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.starting = undefined;
    this.since = undefined;
    this.delivered.clear();
    this.heard.clear();
    const listener = this.listener;
    this.listener = undefined;
    listener?.end().catch(() => undefined);
  }

  private async listen(generation: number): Promise<void> {
    const client = new Client(connectionConfig(this.db));
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      if (generation !== this.generation || this.stopped) return;
      if (error) this.options.onError?.(error);
      client.end().catch(() => undefined);
      this.relisten(generation);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (notification) => {
      if (notification.channel !== MESSAGE_CHANNEL || !notification.payload) return;
      this.heard.add(notification.payload);
      this.wake(generation);
    });
    await client.connect();
    await client.query(`listen ${MESSAGE_CHANNEL}`);
    if (generation !== this.generation || this.stopped || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // Whatever changed while nobody listened (before, or while the connection was down).
    this.lookDue = true;
    this.wake(generation);
  }

  private relisten(generation: number): void {
    const retry = setTimeout(() => {
      if (generation !== this.generation || this.stopped) return;
      this.listen(generation).catch((error: unknown) => {
        this.options.onError?.(error);
        this.relisten(generation);
      });
    }, this.reconnectMs);
    retry.unref();
  }

  /** Remembers the recent window as already delivered: a new page has just loaded it anyway. */
  private async prime(generation: number): Promise<void> {
    const now = await databaseNow(this.db);
    const since = new Date(now.getTime() - this.overlapMs);
    const recent = await messagesChangedSince(this.db, since, this.batchSize);
    if (generation !== this.generation) return;
    for (const message of recent) this.remember(message);
    this.since = since;
  }

  private schedule(generation: number): void {
    if (this.stopped || generation !== this.generation || this.subscribers.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const interval = this.listener ? this.safetyIntervalMs : this.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lookDue = true;
      this.wake(generation);
    }, interval);
    // The feed never keeps the process alive on its own.
    this.timer.unref();
  }

  /** Reads what was heard (and looks over the window when due), one reading at a time. */
  private wake(generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    if (this.busy === generation) {
      this.again = true;
      return;
    }
    this.busy = generation;
    void (async () => {
      do {
        this.again = false;
        try {
          if (this.lookDue) {
            this.lookDue = false;
            await this.look(generation);
            this.schedule(generation);
          }
          while (this.heard.size > 0 && generation === this.generation) {
            const ids = [...this.heard].slice(0, this.batchSize);
            for (const id of ids) this.heard.delete(id);
            this.deliver(await messagesByIds(this.db, ids), generation);
          }
        } catch (error) {
          this.options.onError?.(error);
          this.schedule(generation);
        }
      } while (this.again && generation === this.generation && !this.stopped);
      if (this.busy === generation) this.busy = -1;
    })();
  }

  private deliver(messages: MessageRecord[], generation: number): void {
    if (generation !== this.generation) return;
    for (const message of messages) {
      const previous = this.delivered.get(message.id);
      if (previous?.version === versionOf(message)) continue;
      this.remember(message);
      for (const subscriber of this.subscribers) {
        if (subscriber.liveChatIds.has(message.live_chat_id)) subscriber.deliver(message);
      }
    }
  }

  /** Every message changed since the last look (with the overlap), as polling reads them. */
  private async look(generation: number): Promise<void> {
    const since = this.since;
    if (!since) return;
    const now = await databaseNow(this.db);
    const changed = await messagesChangedSince(this.db, since, this.batchSize);
    if (generation !== this.generation) return;
    this.deliver(changed, generation);
    const last = changed[changed.length - 1];
    // A full batch means more are waiting: continue from the last one seen instead of from now.
    const full = changed.length === this.batchSize && last && last.updated_at.getTime() - 1 > since.getTime();
    const next = full ? new Date(last.updated_at.getTime() - 1) : new Date(now.getTime() - this.overlapMs);
    this.since = next;
    for (const [id, seen] of this.delivered) {
      if (seen.updatedAt <= next.getTime()) this.delivered.delete(id);
    }
    if (full) {
      this.lookDue = true;
      this.again = true;
    }
  }

  private remember(message: MessageRecord): void {
    this.delivered.set(message.id, { version: versionOf(message), updatedAt: message.updated_at.getTime() });
  }
}

/** A message's state as far as a page cares: a new status or time means it changed. */
function versionOf(message: MessageRecord): string {
  return `${message.updated_at.getTime()}|${message.status}|${message.failure_reason ?? ''}`;
}

interface KnexClientInternals {
  config?: { pool?: { max?: number } };
  connectionSettings?: string | ClientConfig;
}

/** The most connections knex's pool opens for this database. */
function poolSize(db: Knex): number {
  return (db.client as KnexClientInternals).config?.pool?.max ?? 10;
}

/** The same database as knex's pool, for a connection of the listener's own. */
function connectionConfig(db: Knex): ClientConfig {
  const settings = (db.client as KnexClientInternals).connectionSettings;
  if (settings === undefined) throw new Error('the database handle has no connection settings');
  return typeof settings === 'string' ? { connectionString: settings } : { ...settings };
}
