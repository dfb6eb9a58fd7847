import { z } from 'zod';
import { ACCOUNT_KINDS } from './channels';
import { InvalidInput } from './errors';
import { MAX_FILENAME_LENGTH } from './attachments';
import type {
  AttachmentInput,
  BulkNotifyInput,
  InitiateSessionInput,
  OperatorReplyInput,
  SendLiveChatMessageInput,
} from './types';

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

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const FilenameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_FILENAME_LENGTH)
  .refine((name) => !CONTROL.test(name), 'must not contain control characters such as line breaks')
  .refine((name) => !/[/\\]/.test(name), 'must be a file name, without / or \\')
  .refine((name) => name !== '.' && name !== '..', 'must be a file name');

const ContentTypeSchema = z
  .string()
  .max(255)
  .regex(
    /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[a-z0-9!#$&^_.+-]+))*$/i,
    'must be a media type such as application/pdf',
  );

const Base64Schema = z
  .string()
  .min(1, 'must not be empty')
  .refine(
    (text) => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text),
    'must be base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4), without line breaks',
  );

const HttpUrlSchema = z
  .string()
  .max(2_000)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.username === '' && url.password === '';
    } catch {
      return true;
    }
  }, 'must not carry a user name or password: the URL is kept in the workflow history');

/** One file: inline (`filename` + base64 `content`) or by `url` (filename optional), never both. */
const AttachmentInputSchema = z
  .strictObject({
    filename: FilenameSchema.optional(),
    contentType: ContentTypeSchema.optional(),
    content: Base64Schema.optional(),
    url: HttpUrlSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if ((a.content === undefined) === (a.url === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either content (base64) or url, one of them' });
    } else if (a.content !== undefined && a.filename === undefined) {
      ctx.addIssue({ code: 'custom', path: ['filename'], message: 'is required with inline content' });
    }
  })
  .transform((a) => a as AttachmentInput);

/** The shape of a Send Live Chat Message request; the rules (text, addresses, ...) are checked after it. */
export const SendLiveChatMessageInputSchema = z.strictObject({
  liveChatId: id,
  channelId: id.optional(),
  to: RecipientSchema,
  text: z.string(),
  subject: z.string().optional(),
  variables: z
    .record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()]))
    .optional(),
  whatsappTemplate: z
    .strictObject({
      contentSid: z.string().regex(/^HX[0-9a-f]{32}$/, 'must be a Twilio content SID (HX and 32 hex digits)'),
      variables: z.record(z.string().max(50), z.string().max(1_024)).optional(),
    })
    .optional(),
  author: ProcessAuthorSchema.optional(),
  reuseOpenSession: z.boolean().optional(),
  attachments: z.array(AttachmentInputSchema).optional(),
  idempotencyKey: z.string().min(1).max(500).optional(),
  sendAt: z.iso.datetime({ offset: true }).optional(),
  urgent: z.boolean().optional(),
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

const AccountValueSchema = z.strictObject({
  kind: z.enum(ACCOUNT_KINDS),
  value: z.string().min(1).max(320),
});

const SessionCustomerSchema = z.union([
  z.strictObject({ contactId: id, field: z.string().min(1).max(200).optional() }),
  z.strictObject({ account: z.string().min(1).max(320) }),
  z.strictObject({
    newContact: z.strictObject({
      name: z.string().trim().min(1).max(200),
      accounts: z.array(AccountValueSchema).max(20).optional(),
      emails: z.array(z.string().min(1).max(320)).max(20).optional(),
    }),
  }),
]);

/** The shape of an Initiate Session request. */
const StoredFileRefSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lower-case hex'),
  filename: FilenameSchema,
  contentType: ContentTypeSchema,
});

export const InitiateSessionInputSchema = z.strictObject({
  liveChatId: id,
  operatorId: id,
  channelId: id,
  customer: SessionCustomerSchema,
  subject: z.string().optional(),
  firstMessage: z.string().optional(),
  firstMessageFiles: z.array(StoredFileRefSchema).max(10).optional(),
  idempotencyKey: z.string().min(1).max(500).optional(),
});

export function parseInitiateSessionInput(raw: unknown): InitiateSessionInput {
  return parseInput(InitiateSessionInputSchema, raw);
}

export const OperatorReplyInputSchema = z.strictObject({
  sessionId: z.uuid(),
  operatorId: id,
  text: z.string(),
  whatsappTemplate: z
    .strictObject({
      contentSid: z
        .string()
        .regex(/^HX[0-9a-f]{32}$/i, 'must be a Twilio content SID (HX and 32 hex digits)'),
      variables: z.record(z.string().max(50), z.string().max(1_024)).optional(),
    })
    .optional(),
  files: z.array(StoredFileRefSchema).max(10).optional(),
  idempotencyKey: z.string().min(1).max(500).optional(),
});

export function parseOperatorReplyInput(raw: unknown): OperatorReplyInput {
  return parseInput(OperatorReplyInputSchema, raw);
}

/** At most this many recipients in a list (the list travels in the workflow's first event); more through a query. */
export const MAX_BULK_LIST = 10_000;
export const MAX_BULK_CONCURRENCY = 200;
export const MAX_BULK_PAGE = 1_000;

/** A recipient's own template variables (a list audience): they win over the shared ones. */
const recipientVariables = z
  .record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()]))
  .optional();

const BulkAudienceSchema = z.union([
  z.strictObject({
    recipients: z
      .array(
        z.union([
          z.strictObject({
            contactId: id,
            field: z.string().min(1).max(200).optional(),
            variables: recipientVariables,
          }),
          z.strictObject({ account: z.string().min(1).max(320), variables: recipientVariables }),
        ]),
      )
      .min(1, 'give at least one recipient')
      .max(MAX_BULK_LIST, `at most ${MAX_BULK_LIST} recipients in a list; select more with a query`),
  }),
  z.strictObject({
    query: z.strictObject({
      where: z
        .record(z.string().min(1).max(100), z.union([z.string().max(1_000), z.number(), z.boolean()]))
        .optional(),
    }),
  }),
]);

/** The shape of a Bulk Notify request: the message part is Send Live Chat Message's. */
export const BulkNotifyInputSchema = z.strictObject({
  ...SendLiveChatMessageInputSchema.pick({
    liveChatId: true,
    text: true,
    subject: true,
    variables: true,
    whatsappTemplate: true,
    author: true,
    idempotencyKey: true,
    urgent: true,
  }).shape,
  channelId: id,
  audience: BulkAudienceSchema,
  concurrency: z.number().int().min(1).max(MAX_BULK_CONCURRENCY).optional(),
  pageSize: z.number().int().min(1).max(MAX_BULK_PAGE).optional(),
  continueAsNewAfterEvents: z.number().int().min(100).max(40_000).optional(),
});

export function parseBulkNotifyInput(raw: unknown): BulkNotifyInput {
  return parseInput(BulkNotifyInputSchema, raw);
}
