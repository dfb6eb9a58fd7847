import type { Knex } from 'knex';
import { databaseNow, messagesChangedSince, type MessageRecord } from './queries';

export interface FeedSubscriber {
  /** Live chats whose messages this subscriber may see; the route keeps it current. */
  liveChatIds: ReadonlySet<string>;
  deliver(message: MessageRecord): void;
}

export interface MessageFeedOptions {
  intervalMs?: number;
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
 * New and changed messages, pushed to the workspace's open pages. One poller per server asks
 * PostgreSQL every `intervalMs` for messages whose `updated_at` moved (whoever wrote them: a
 * process's worker, an inbound webhook, a delivery callback) and hands each to the subscribers
 * allowed to see it. Polling, not LISTEN/NOTIFY: the embedded PostgreSQL of the workspace serves a
 * single connection, which a listener would hold for good. It only runs while someone listens.
 */
export class MessageFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  /** What each recently changed message looked like when last delivered, to deliver each change once. */
  private readonly delivered = new Map<string, { version: string; updatedAt: number }>();
  private since: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** Bumped by every pause, so a poll that was under way then does not schedule another. */
  private generation = 0;
  private readonly intervalMs: number;
  private readonly overlapMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly db: Knex,
    private readonly options: MessageFeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.overlapMs = options.overlapMs ?? 10_000;
    this.batchSize = options.batchSize ?? 1000;
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

  /** Stops polling for good (server shutdown). */
  close(): void {
    this.stopped = true;
    this.subscribers.clear();
    this.pause();
  }

  private start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the message feed is closed'));
    const generation = this.generation;
    this.starting ??= this.prime(generation).then(
      () => this.schedule(generation),
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
    this.timer = setTimeout(() => void this.tick(generation), this.intervalMs);
    // The feed never keeps the process alive on its own.
    this.timer.unref();
  }

  private async tick(generation: number): Promise<void> {
    try {
      await this.poll(generation);
    } catch (error) {
      this.options.onError?.(error);
    }
    this.schedule(generation);
  }

  private async poll(generation: number): Promise<void> {
    const since = this.since;
    if (!since) return;
    const now = await databaseNow(this.db);
    const changed = await messagesChangedSince(this.db, since, this.batchSize);
    if (generation !== this.generation) return;
    for (const message of changed) {
      const previous = this.delivered.get(message.id);
      if (previous?.version === versionOf(message)) continue;
      this.remember(message);
      for (const subscriber of this.subscribers) {
        if (subscriber.liveChatIds.has(message.live_chat_id)) subscriber.deliver(message);
      }
    }
    const last = changed[changed.length - 1];
    // A full batch means more are waiting: continue from the last one seen instead of from now.
    const next =
      changed.length === this.batchSize && last && last.updated_at.getTime() - 1 > since.getTime()
        ? new Date(last.updated_at.getTime() - 1)
        : new Date(now.getTime() - this.overlapMs);
    this.since = next;
    for (const [id, seen] of this.delivered) {
      if (seen.updatedAt <= next.getTime()) this.delivered.delete(id);
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
