import { z } from 'zod';
import { LiveChatsConfigSchema } from './apply-config';

/** Where the generated schema is kept, from the package's root: editors and `livechat` users point at it. */
export const CONFIG_JSON_SCHEMA_FILE = 'schema/live-chats.schema.json';

/**
 * The JSON Schema of a config file (`livechat config apply -f FILE`), generated from the zod schema
 * the tool itself checks with, so the two cannot disagree (a unit test regenerates and compares).
 * What JSON Schema cannot say (an IANA time zone, a usable sender address) is checked on apply.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(LiveChatsConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'livechat-temporal configuration (livechat config apply)',
  };
}

/** The file's text: two-space JSON and a final newline, as prettier leaves it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
