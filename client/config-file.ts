import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { applyConfig, LiveChatsConfigSchema } from '../db/apply-config';
import { InvalidInput } from '../domain/errors';

/** How many of each thing a config file named (and applying it created or updated). */
export interface ConfigSummary {
  operators: number;
  liveChats: number;
  members: number;
  channels: number;
  contacts: number;
  telegramChats: number;
}

/** Counts what a config names; throws `InvalidInput` like `applyConfig` for a malformed one. */
export function summariseConfig(raw: unknown): ConfigSummary {
  const parsed = LiveChatsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInput(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const config = parsed.data;
  return {
    operators: config.operators.length,
    liveChats: config.liveChats.length,
    members: config.liveChats.reduce((n, chat) => n + chat.operators.length + chat.supervisors.length, 0),
    channels: config.liveChats.reduce((n, chat) => n + chat.channels.length, 0),
    contacts: config.contacts.length,
    telegramChats: config.telegramChats.length,
  };
}

/** A config file's text, YAML or JSON (JSON is YAML); a syntax error is `InvalidInput` naming the line. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const firstLine = error.message.split('\n')[0] ?? error.message;
    throw new InvalidInput({ path: '', message: `${source} is not valid YAML or JSON: ${firstLine}` });
  }
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

/**
 * Reads a YAML or JSON config file and applies it (`applyConfig`: one transaction, idempotent).
 * Every refusal is a domain error: an unreadable or malformed file and a wrong shape are
 * `InvalidInput`, a bad phone number `InvalidPhoneNumber`, and so on.
 */
export async function applyConfigFile(db: Knex, file: string): Promise<ConfigSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidInput({ path: '', message: `cannot read config file ${file} (${reason})` });
  }
  const raw = parseConfigText(text, file);
  const summary = summariseConfig(raw);
  try {
    await applyConfig(db, raw);
  } catch (error) {
    throw asMissingReference(error) ?? error;
  }
  return summary;
}
