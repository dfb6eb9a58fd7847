import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { applyConfig, configIssues, LiveChatsConfigSchema, type LiveChatsConfig } from '../db/apply-config';
import { InvalidInput, type InputIssue } from '../domain/errors';
import { assertMigrated, DatabaseNotMigrated } from './migrations';

/** How many of each thing a config file named (and applying it created or updated). */
export interface ConfigSummary {
  operators: number;
  liveChats: number;
  members: number;
  channels: number;
  contacts: number;
  telegramChats: number;
}

/** Where in a config file a path is: the line (from 1) of the key or value, or of its nearest parent. */
export type Locate = (path: readonly (string | number)[]) => number | undefined;

/** Checks a config against the schema; `InvalidInput` lists each problem with its path (and line). */
export function checkConfig(raw: unknown, locate?: Locate): LiveChatsConfig {
  const parsed = LiveChatsConfigSchema.safeParse(raw);
  if (parsed.success) return raw as LiveChatsConfig;
  const issues = configIssues(parsed.error).map((issue): InputIssue => {
    const line = locate?.(issue.path);
    return { path: issue.path.join('.'), message: issue.message, ...(line !== undefined ? { line } : {}) };
  });
  // In the order of the file, as a reader goes through it.
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new InvalidInput(issues);
}

/** Counts what a config names; throws `InvalidInput` like `applyConfig` for a malformed one. */
export function summariseConfig(raw: unknown, locate?: Locate): ConfigSummary {
  checkConfig(raw, locate);
  const config = LiveChatsConfigSchema.parse(raw);
  return {
    operators: config.operators.length,
    liveChats: config.liveChats.length,
    members: config.liveChats.reduce((n, chat) => n + chat.operators.length + chat.supervisors.length, 0),
    channels: config.liveChats.reduce((n, chat) => n + chat.channels.length, 0),
    contacts: config.contacts.length,
    telegramChats: config.telegramChats.length,
  };
}

/** A parsed config file: its value, and where each path of it is in the text. */
export interface ConfigText {
  value: unknown;
  locate: Locate;
}

/**
 * The line of what a path names: a key's own line in a mapping (an unknown key, or a value, which
 * starts there), an item's in a list; a path that goes missing (a required key) stops at its parent.
 */
function lineOf(
  root: Node | null,
  path: readonly (string | number)[],
  lines: LineCounter,
): number | undefined {
  let node: unknown = root;
  let offset = root?.range?.[0];
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
      if (!pair) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      const range = (node as Node | undefined)?.range;
      if (!range) break;
      offset = range[0];
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/** A config file's text, YAML or JSON (JSON is YAML); a syntax error is `InvalidInput` naming the line. */
export function parseConfigFile(text: string, source: string): ConfigText {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    // The message names the line and column already.
    const firstLine = first.message.split('\n')[0] ?? first.message;
    throw new InvalidInput({ path: '', message: `${source} is not valid YAML or JSON: ${firstLine}` });
  }
  return {
    value: doc.toJS() as unknown,
    locate: (path) => lineOf(doc.contents as Node | null, path, lines),
  };
}

/** `parseConfigFile`'s value alone. */
export function parseConfigText(text: string, source: string): unknown {
  return parseConfigFile(text, source).value;
}

/** PostgreSQL's foreign-key violation, e.g. a live chat listing an operator the config does not define. */
function asMissingReference(error: unknown): InvalidInput | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  if (code !== '23503') return undefined;
  const what = typeof detail === 'string' ? detail : 'a reference to something that does not exist';
  return new InvalidInput({
    path: '',
    message: `the config refers to something that does not exist (${what})`,
  });
}

/** PostgreSQL's "no such table / column": the schema is older than this version. */
function asNotMigrated(error: unknown): DatabaseNotMigrated | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '42703' ? new DatabaseNotMigrated([]) : undefined;
}

/**
 * Reads a YAML or JSON config file and applies it (`applyConfig`: one transaction, idempotent).
 * Every refusal is a typed error and changes nothing: an unreadable or malformed file and a wrong
 * shape (an unknown key, a wrong type) are `InvalidInput` naming the path and the line, a bad phone
 * number `InvalidPhoneNumber`, a database not set up `DatabaseNotMigrated`, and so on.
 */
export async function applyConfigFile(db: Knex, file: string): Promise<ConfigSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidInput({ path: '', message: `cannot read config file ${file} (${reason})` });
  }
  const { value, locate } = parseConfigFile(text, file);
  const summary = summariseConfig(value, locate);
  await assertMigrated(db);
  try {
    await applyConfig(db, value);
  } catch (error) {
    throw asMissingReference(error) ?? asNotMigrated(error) ?? error;
  }
  return summary;
}
