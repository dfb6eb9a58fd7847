import { z } from 'zod';
import { InvalidInput } from './errors';
import type { SendLiveChatMessageInput } from './types';

const id = z.string().trim().min(1).max(200);

const RecipientSchema = z.union([
  z.strictObject({ contactId: id, field: z.string().min(1).max(200).optional() }),
  z.strictObject({ account: z.string().min(1).max(320) }),
  z.strictObject({ sessionId: z.uuid() }),
]);

const ProcessAuthorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('system') }),
  z.strictObject({ kind: z.literal('user'), userId: id }),
]);

/** The shape of a Send Live Chat Message request; the rules (text, addresses, ...) are checked after it. */
export const SendLiveChatMessageInputSchema = z.strictObject({
  liveChatId: id,
  channelId: id.optional(),
  to: RecipientSchema,
  text: z.string(),
  subject: z.string().optional(),
  author: ProcessAuthorSchema.optional(),
  reuseOpenSession: z.boolean().optional(),
  idempotencyKey: z.string().min(1).max(500).optional(),
});

/** Parses with a schema, turning its complaints into one `InvalidInput` that lists them all. */
export function parseInput<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InvalidInput(
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

export function parseSendLiveChatMessageInput(raw: unknown): SendLiveChatMessageInput {
  return parseInput(SendLiveChatMessageInputSchema, raw);
}
