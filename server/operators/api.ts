/**
 * The operators' HTTP API under /api: sign-in, status, My Sessions, histories, +New Session,
 * replies, closing, the customers' pages and the live feed. Every route but sign-in needs a signed-in
 * operator, and every read is limited to the live chats that operator serves.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { operatorReplyKey } from '../../db/messages';
import { eraseContact } from '../../client/erase-contact';
import { channelRules } from '../../domain/channels';
import { NotASupervisor, SessionAssignedToAnother } from '../../domain/errors';
import { parseInput } from '../../domain/inputs';
import { checkStoredFiles, storeFileContent } from '../../db/attachments';
import { ATTACHMENT_LIMITS } from '../../domain/attachments';
import { contentDisposition } from '../media';
import type {
  MemberRole,
  InitiateSessionInput,
  InitiateSessionResult,
  OperatorReplyInput,
  OperatorReplyResult,
  SessionCustomer,
} from '../../domain/types';
import {
  checkCredentials,
  createOperatorSession,
  DEFAULT_SESSION_TTL_MS,
  deleteOperatorSession,
  hashToken,
  operatorOfSession,
  SESSION_COOKIE,
  SignInThrottle,
  type SignedInOperator,
} from './auth';
import type { WorkspaceDeps } from './deps';
import { ApiError, outOfReach, refusalToApiError, unauthenticated } from './errors';
import { MessageFeed } from './message-feed';
import { MAX_PASSWORD_LENGTH } from './passwords';
import {
  attachmentOfSessionMessage,
  channelsOf,
  closeSession,
  contactInApps,
  databaseNow,
  markSessionRead,
  shiftSessions,
  unreadCounts,
  membershipsOf,
  messageById,
  messageByIdempotencyKey,
  messagesOfSessions,
  mySessions,
  searchContacts,
  sessionIdByIdempotencyKey,
  sessionOfOperator,
  sessionsOfContactIn,
  setOperatorStatus,
  type Membership,
  type MessageRecord,
  type SessionRecord,
  consentsOfContact,
} from './queries';
import {
  accountConsentView,
  contactView,
  messageView,
  renderTemplate,
  sessionView,
  templatesOf,
  type ChannelView,
  type ContactHistoryView,
  type FeedMessageEvent,
  type LiveChatView,
  type MeView,
  type ShiftListView,
  type UploadedFileView,
  type MessageView,
  type ViewOptions,
} from './views';

const id = z.string().trim().min(1).max(200);
/** A form's empty field means "not given". */
const optionalText = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().max(max).optional(),
  );

const SignInBody = z
  .strictObject({
    operatorId: id.optional(),
    email: z.string().trim().min(1).max(320).optional(),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .refine((b) => (b.operatorId === undefined) !== (b.email === undefined), {
    message: 'give either operatorId or email',
    path: ['operatorId'],
  });

const StatusBody = z.strictObject({ status: z.enum(['online', 'offline', 'busy']) });

/** A file uploaded before (`POST /api/files`), as a reply or a first message names it. */
const UploadedFile = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  filename: z.string().trim().min(1).max(255),
  contentType: z.string().trim().min(3).max(255),
});

const NewSessionBody = z.strictObject({
  liveChatId: id,
  channelId: id,
  customer: z.union([
    z.strictObject({ contactId: id, field: optionalText(200) }),
    z.strictObject({ account: z.string().trim().min(1).max(320) }),
    z.strictObject({
      newContact: z.strictObject({
        name: z.string().trim().min(1).max(200),
        phone: optionalText(320),
        email: optionalText(320),
        telegram: optionalText(320),
      }),
    }),
  ]),
  subject: optionalText(2000),
  firstMessage: optionalText(100_000),
  /** Files of the first message, uploaded before (`POST /api/files`). */
  files: z.array(UploadedFile).max(10).optional(),
  /** Chosen by the page once per dialog, so a double submit starts one session. */
  requestId: z.uuid().optional(),
});

const ReplyBody = z.strictObject({
  text: z.string().max(100_000),
  requestId: z.uuid().optional(),
  /** Files uploaded before (`POST /api/files`), in order. */
  files: z.array(UploadedFile).max(10).optional(),
  /** WhatsApp outside the 24-hour window: one of the channel's approved templates, its variables filled in. */
  template: z
    .strictObject({
      contentSid: z.string().max(64),
      variables: z.record(z.string().max(50), z.string().trim().min(1).max(1_024)).default({}),
    })
    .optional(),
});

const ContactsQuery = z.strictObject({ q: z.string().max(200).default(''), liveChatId: id.optional() });

const SessionParams = z.strictObject({ id: z.string().max(100) });

const ShiftQuerySchema = z.strictObject({
  scope: z.enum(['mine', 'unassigned', 'all']).default('mine'),
  state: z.enum(['open', 'closed']).default('open'),
  q: z.string().trim().max(200).default(''),
});

/** An upload: the file's name and type travel in the query, its bytes as the body. */
const UploadQuery = z.strictObject({
  filename: z.string().trim().min(1).max(255),
  type: z
    .string()
    .trim()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a media type such as application/pdf')
    .default('application/octet-stream'),
});
/** The largest file any channel takes (Telegram's 50 MB): the upload route's body limit. */
const MAX_UPLOAD_BYTES = Math.max(...Object.values(ATTACHMENT_LIMITS).map((l) => l.maxFileBytes));

const AttachmentParams = z.strictObject({
  id: z.string().max(100),
  messageId: z.string().max(100),
  position: z.coerce.number().int().min(0).max(10_000),
});

/** The customer's page: every session of theirs, or those with one of their accounts. */
const ContactHistoryQuery = z.strictObject({ account: optionalText(320) });

/** Cookies last as long as the session they carry. */
function cookieName(secure: boolean): string {
  // `__Host-` cookies are only accepted over HTTPS, for this host and path /: no subdomain can plant one.
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

export function registerApi(app: FastifyInstance, deps: WorkspaceDeps): void {
  const db = deps.db;
  const clock = deps.clock ?? (() => new Date());
  const ttlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const secure = deps.secureCookies ?? false;
  const cookie = cookieName(secure);
  const waitMs = deps.workflowWaitMs ?? 15_000;
  const views: ViewOptions = {
    temporalUiUrl: deps.temporalUiUrl,
    temporalNamespace: deps.client.options.namespace,
  };
  const throttle = new SignInThrottle(deps.maxFailedSignIns);
  const feed = new MessageFeed(db, {
    ...deps.feed,
    onError: deps.feed?.onError ?? ((error) => report('live feed', error)),
  });
  /** Open live feeds by sign-in, so signing out ends them too. */
  const streams = new Map<string, Set<() => void>>();
  const signedIn = new WeakMap<FastifyRequest, SignedInOperator>();

  function report(what: string, error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    (deps.log ?? console.error)(`workspace ${what}: ${text}`);
  }

  const operatorOf = (request: FastifyRequest): SignedInOperator => {
    const operator = signedIn.get(request);
    if (!operator) throw unauthenticated();
    return operator;
  };

  const cookieOptions = (maxAgeSeconds: number) =>
    ({ path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: maxAgeSeconds }) as const;

  async function sessionOf(
    operatorId: string,
    sessionId: string,
  ): Promise<SessionRecord & { role: MemberRole }> {
    const session = await sessionOfOperator(db, operatorId, sessionId);
    if (!session) throw outOfReach('SessionNotFound', 'such session');
    return session;
  }

  /** Supervisors act in any session of their live chats; operators in theirs and unassigned ones. */
  function requireMayAct(operator: SignedInOperator, session: SessionRecord & { role: MemberRole }): void {
    const mayAct =
      session.role === 'supervisor' ||
      session.assigned_operator_id === null ||
      session.assigned_operator_id === operator.id;
    if (!mayAct && session.assigned_operator_id !== null) {
      // The very refusal a reply gets from its workflow.
      throw refusalToApiError(
        new SessionAssignedToAnother({
          sessionId: session.id,
          assignedOperatorId: session.assigned_operator_id,
        }),
      );
    }
  }

  const messageViews = (records: MessageRecord[]): MessageView[] => records.map((m) => messageView(m, views));

  /** The workflow's result, or undefined when it is still running after `waitMs` (it goes on). */
  async function within<T>(result: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    // If the wait ends first, a later failure is the workflow's own business, not an unhandled rejection.
    result.catch(() => undefined);
    try {
      return await Promise.race([result, timeout]);
    } catch (error) {
      throw refusalToApiError(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a workflow, or finds the run a repeated request (same id) already started. */
  async function startOrJoin<T>(workflowType: string, workflowId: string, input: T): Promise<WorkflowHandle> {
    try {
      return await deps.client.workflow.start(workflowType, {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [input],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError)
        return deps.client.workflow.getHandle(workflowId);
      throw error;
    }
  }

  // --- no session needed ---------------------------------------------------------------------

  app.post('/api/sign-in', async (request, reply) => {
    const body = parseInput(SignInBody, request.body);
    const login =
      body.operatorId !== undefined ? `id:${body.operatorId}` : `email:${(body.email ?? '').toLowerCase()}`;
    const now = clock();
    if (throttle.blocked(login, now.getTime())) {
      throw new ApiError(
        'TooManySignInAttempts',
        'Too many failed sign-ins; wait a few minutes and try again.',
      );
    }
    const operator = await checkCredentials(db, body, body.password);
    if (!operator) {
      throttle.fail(login, now.getTime());
      throw new ApiError('InvalidCredentials', 'The operator id, email or password is not right.');
    }
    throttle.succeed(login);
    const { token, expiresAt } = await createOperatorSession(db, operator.id, now, ttlMs);
    reply.setCookie(cookie, token, cookieOptions(Math.floor(ttlMs / 1000)));
    return {
      operator: { id: operator.id, name: operator.name, email: operator.email, status: operator.status },
      expiresAt: expiresAt.toISOString(),
    };
  });

  // --- everything else: a signed-in operator -----------------------------------------------

  app.register(async (api) => {
    api.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
      (_request, body, done) => done(null, body),
    );
    api.addHook('onRequest', async (request) => {
      const token = request.cookies[cookie];
      if (!token) throw unauthenticated();
      const operator = await operatorOfSession(db, hashToken(token), clock());
      if (!operator) throw unauthenticated();
      signedIn.set(request, operator);
    });

    api.post('/api/sign-out', async (request, reply) => {
      const operator = operatorOf(request);
      await deleteOperatorSession(db, operator.sessionHash);
      for (const end of streams.get(operator.sessionHash) ?? []) end();
      reply.clearCookie(cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure });
      return reply.code(204).send();
    });

    api.get('/api/me', async (request): Promise<MeView> => {
      const operator = operatorOf(request);
      const memberships = await membershipsOf(db, operator.id);
      return {
        operator: { id: operator.id, name: operator.name, email: operator.email, status: operator.status },
        liveChats: memberships.map((m) => ({ id: m.liveChatId, name: m.liveChatName, role: m.role })),
        expiresAt: operator.expiresAt.toISOString(),
      };
    });

    api.get('/api/me/status', async (request) => ({ status: operatorOf(request).status }));

    api.put('/api/me/status', async (request) => {
      const operator = operatorOf(request);
      const { status } = parseInput(StatusBody, request.body);
      await setOperatorStatus(db, operator.id, status);
      return { status };
    });

    api.get('/api/live-chats', async (request): Promise<{ liveChats: LiveChatView[] }> => {
      const memberships = await membershipsOf(db, operatorOf(request).id);
      const channels = await channelsOf(
        db,
        memberships.map((m) => m.liveChatId),
      );
      return {
        liveChats: memberships.map((m) => ({
          id: m.liveChatId,
          name: m.liveChatName,
          role: m.role,
          boundApp: m.boundApp,
          channels: channels
            .filter((c) => c.liveChatId === m.liveChatId)
            .map((c): ChannelView => {
              const rules = channelRules(c.kind);
              return {
                id: c.id,
                kind: c.kind,
                name: c.name,
                state: c.state,
                label: rules.label,
                accountKind: rules.accountKind,
                canInitiate: rules.canInitiate && c.state === 'active',
                hasSubject: rules.hasSubject,
                maxTextLength: rules.maxTextLength,
                templates: c.kind === 'whatsapp' ? templatesOf(c.settings) : [],
              };
            }),
        })),
      };
    });

    api.get('/api/my-sessions', async (request) => {
      const sessions = await mySessions(db, operatorOf(request).id);
      return { sessions: sessions.map(sessionView) };
    });

    // The session list for a shift: mine / unassigned / all, open / closed, words, unread counts.
    api.get('/api/sessions', async (request): Promise<ShiftListView> => {
      const operator = operatorOf(request);
      const query = parseInput(ShiftQuerySchema, request.query);
      const [sessions, unread] = await Promise.all([
        shiftSessions(db, operator.id, query),
        unreadCounts(db, operator.id),
      ]);
      return { sessions: sessions.map((s) => ({ ...sessionView(s), unread: s.unread })), unread };
    });

    // The operator has read the session (its page is open and seen): its unread count drops to 0.
    api.post('/api/sessions/:id/read', async (request, reply) => {
      const operator = operatorOf(request);
      const session = await sessionOf(operator.id, parseInput(SessionParams, request.params).id);
      await markSessionRead(db, operator.id, session.id, await databaseNow(db));
      return reply.code(204).send();
    });

    api.get('/api/sessions/:id', async (request) => {
      const params = parseInput(SessionParams, request.params);
      return { session: sessionView(await sessionOf(operatorOf(request).id, params.id)) };
    });

    api.get('/api/sessions/:id/messages', async (request) => {
      const params = parseInput(SessionParams, request.params);
      const session = await sessionOf(operatorOf(request).id, params.id);
      return {
        session: sessionView(session),
        messages: messageViews(await messagesOfSessions(db, [session.id])),
      };
    });

    /**
     * One file of a message, as the customer or the sender attached it: always as a download
     * (`attachment`), never shown in the workspace's own origin (a customer's HTML file must not run
     * there), for operators who may read the session.
     */
    api.get('/api/sessions/:id/messages/:messageId/attachments/:position', async (request, reply) => {
      const params = parseInput(AttachmentParams, request.params);
      const session = await sessionOf(operatorOf(request).id, params.id);
      const file = await attachmentOfSessionMessage(db, session.id, params.messageId, params.position);
      if (!file) throw outOfReach('SessionNotFound', 'such file');
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.content.length))
        .header('content-disposition', contentDisposition(file.filename).replace(/^inline/, 'attachment'))
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .send(file.content);
    });

    /**
     * An operator's file for a reply: its bytes as `application/octet-stream` (never a type a
     * cross-site form can send), its name and type in the query; stored once by its SHA-256, which the
     * reply then names. The per-channel limits are checked when the reply names it.
     */
    api.post(
      '/api/files',
      { bodyLimit: MAX_UPLOAD_BYTES },
      async (request, reply): Promise<{ file: UploadedFileView }> => {
        const query = parseInput(UploadQuery, request.query);
        const content = request.body;
        if (!Buffer.isBuffer(content) || content.length === 0) {
          throw new ApiError('InvalidInput', 'Send the file as the body (application/octet-stream).');
        }
        const sha256 = createHash('sha256').update(content).digest('hex');
        await storeFileContent(db, sha256, content);
        reply.code(201);
        return { file: { sha256, filename: query.filename, contentType: query.type, size: content.length } };
      },
    );

    api.post('/api/sessions', async (request, reply) => {
      const operator = operatorOf(request);
      const body = parseInput(NewSessionBody, request.body);
      const memberships = await membershipsOf(db, operator.id);
      requireServed(memberships, body.liveChatId);
      // A channel of another live chat is out of reach too: its existence is none of this operator's business.
      const channels = await channelsOf(db, [body.liveChatId]);
      const channel = channels.find((c) => c.id === body.channelId);
      if (!channel) throw outOfReach('ChannelNotFound', 'such channel');
      const files = body.files ?? [];
      if (files.length > 0 && body.firstMessage === undefined) {
        throw new ApiError('InvalidInput', 'Files go with a first message: write one.', {
          details: { field: 'firstMessage' },
        });
      }
      await checkStoredFiles(db, files, channel.kind);

      const workflowId = `operator-session/${operator.id}/${body.requestId ?? randomUUID()}`;
      const input: InitiateSessionInput = {
        liveChatId: body.liveChatId,
        operatorId: operator.id,
        channelId: body.channelId,
        customer: customerOf(body.customer),
        ...(body.subject !== undefined ? { subject: body.subject } : {}),
        ...(body.firstMessage !== undefined ? { firstMessage: body.firstMessage } : {}),
        ...(files.length > 0 ? { firstMessageFiles: files } : {}),
        idempotencyKey: workflowId,
      };
      const handle = await startOrJoin('initiateSession', workflowId, input);
      const result = await within(handle.result() as Promise<InitiateSessionResult>);
      if (!result) {
        // Still running (a slow provider, no worker yet): say what exists so far.
        const pendingId = await sessionIdByIdempotencyKey(db, workflowId);
        const session = pendingId ? await sessionOfOperator(db, operator.id, pendingId) : undefined;
        return reply
          .code(202)
          .send({ pending: true, workflowId, session: session ? sessionView(session) : null });
      }
      const session = await sessionOf(operator.id, result.sessionId);
      const first = result.firstMessage ? await messageById(db, result.firstMessage.messageId) : undefined;
      return reply.code(201).send({
        session: sessionView(session),
        firstMessage: first ? messageView(first, views) : null,
        workflowId,
      });
    });

    api.post('/api/sessions/:id/messages', async (request, reply) => {
      const operator = operatorOf(request);
      const params = parseInput(SessionParams, request.params);
      const body = parseInput(ReplyBody, request.body);
      const session = await sessionOf(operator.id, params.id);
      const template = body.template ? await templateOfSession(session, body.template) : undefined;
      const files = body.files ?? [];
      // The limits a process's files keep on this channel, refused before anything is started.
      await checkStoredFiles(db, files, session.channel_kind);

      // The workflow checks the rest (open, assigned to this operator or to no one) and refuses typed.
      const workflowId = `operator-reply/${session.id}/${body.requestId ?? randomUUID()}`;
      const input: OperatorReplyInput = {
        sessionId: session.id,
        operatorId: operator.id,
        text: template ? template.text : body.text,
        ...(template ? { whatsappTemplate: template.whatsappTemplate } : {}),
        ...(files.length > 0 ? { files } : {}),
        idempotencyKey: workflowId,
      };
      const handle = await startOrJoin('operatorReply', workflowId, input);
      const result = await within(handle.result() as Promise<OperatorReplyResult>);
      const message = result
        ? await messageById(db, result.messageId)
        : await messageByIdempotencyKey(db, operatorReplyKey(workflowId));
      if (!result) {
        return reply
          .code(202)
          .send({ pending: true, workflowId, message: message ? messageView(message, views) : null });
      }
      if (!message) throw new Error(`message ${result.messageId} of ${workflowId} is not in the database`);
      return reply.code(201).send({ message: messageView(message, views), workflowId });
    });

    api.post('/api/sessions/:id/close', async (request) => {
      const operator = operatorOf(request);
      const params = parseInput(SessionParams, request.params);
      const session = await sessionOf(operator.id, params.id);
      requireMayAct(operator, session);
      await closeSession(db, session.id, clock());
      return { session: sessionView(await sessionOf(operator.id, session.id)) };
    });

    api.get('/api/contacts', async (request) => {
      const operator = operatorOf(request);
      const query = parseInput(ContactsQuery, request.query);
      const memberships = await membershipsOf(db, operator.id);
      const apps =
        query.liveChatId !== undefined
          ? [requireServed(memberships, query.liveChatId).boundApp]
          : [...new Set(memberships.map((m) => m.boundApp))];
      return { contacts: (await searchContacts(db, apps, query.q)).map(contactView) };
    });

    api.get('/api/contacts/:id', async (request) => {
      const operator = operatorOf(request);
      const contact = await contactOf(operator, parseInput(SessionParams, request.params).id);
      const liveChatIds = (await membershipsOf(db, operator.id)).map((m) => m.liveChatId);
      // Each account's opt-out or opt-in in the live chats the operator serves.
      const consent = (await consentsOfContact(db, contact.id, liveChatIds)).map(accountConsentView);
      return { contact: contactView(contact), consent };
    });

    // A supervisor erases a customer of their live chats' app (GDPR erasure): see client/erase-contact.ts.
    api.post('/api/contacts/:id/erase', async (request) => {
      const operator = operatorOf(request);
      const contact = await contactOf(operator, parseInput(SessionParams, request.params).id);
      const memberships = await membershipsOf(db, operator.id);
      if (!memberships.some((m) => m.role === 'supervisor' && m.boundApp === contact.app)) {
        throw new NotASupervisor({ userId: operator.id, action: 'erase a customer' });
      }
      const report = await eraseContact(
        { db, client: deps.client },
        { contactId: contact.id, erasedBy: `supervisor:${operator.id}` },
      );
      return { erasure: report };
    });

    api.get('/api/contacts/:id/history', async (request): Promise<ContactHistoryView> => {
      const operator = operatorOf(request);
      const contact = await contactOf(operator, parseInput(SessionParams, request.params).id);
      const { account } = parseInput(ContactHistoryQuery, request.query);
      const sessions = (await sessionsOfContactIn(db, operator.id, contact.id)).filter(
        (s) => account === undefined || s.account === account,
      );
      const messages = await messagesOfSessions(
        db,
        sessions.map((s) => s.id),
      );
      const liveChatIds = (await membershipsOf(db, operator.id)).map((m) => m.liveChatId);
      return {
        contact: contactView(contact),
        consent: (await consentsOfContact(db, contact.id, liveChatIds)).map(accountConsentView),
        account: account ?? null,
        sessions: sessions.map((s) => ({
          session: sessionView(s),
          messages: messageViews(messages.filter((m) => m.session_id === s.id)),
        })),
      };
    });

    api.get('/api/events', async (request, reply) => {
      const operator = operatorOf(request);
      await streamEvents(operator, request, reply);
    });
  });

  /**
   * The approved template a reply names, from the session's channel, with every variable given: its
   * text as the customer will read it and what Twilio is sent.
   */
  async function templateOfSession(
    session: SessionRecord,
    chosen: { contentSid: string; variables: Record<string, string> },
  ): Promise<{ text: string; whatsappTemplate: { contentSid: string; variables: Record<string, string> } }> {
    const channel = (await channelsOf(db, [session.live_chat_id])).find((c) => c.id === session.channel_id);
    const template = channel?.kind === 'whatsapp' ? templatesOf(channel.settings) : [];
    const found = template.find((t) => t.contentSid === chosen.contentSid);
    if (!found) {
      throw new ApiError(
        'InvalidInput',
        'That template is not one of the approved templates of this channel.',
        {
          details: { field: 'template.contentSid' },
        },
      );
    }
    const missing = found.variables.filter((name) => !chosen.variables[name]);
    if (missing.length > 0) {
      throw new ApiError(
        'InvalidInput',
        `Fill in every variable of the template (missing: ${missing.join(', ')}).`,
        {
          details: { field: 'template.variables', missing },
        },
      );
    }
    const variables = Object.fromEntries(found.variables.map((name) => [name, chosen.variables[name] ?? '']));
    return {
      text: renderTemplate(found.body, variables),
      whatsappTemplate: { contentSid: found.contentSid, variables },
    };
  }

  async function contactOf(operator: SignedInOperator, contactId: string) {
    const memberships = await membershipsOf(db, operator.id);
    const contact = await contactInApps(db, [...new Set(memberships.map((m) => m.boundApp))], contactId);
    if (!contact) throw outOfReach('ContactNotFound', 'such contact');
    return contact;
  }

  /**
   * Server-sent events: `ready` once the feed is listening (load lists after it), then `message` for
   * every new or changed message in the operator's live chats. The sign-in and memberships are checked
   * again every 30 seconds, so a signed-out or removed operator stops receiving.
   */
  async function streamEvents(operator: SignedInOperator, request: FastifyRequest, reply: FastifyReply) {
    const liveChatIds = new Set((await membershipsOf(db, operator.id)).map((m) => m.liveChatId));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
      // Proxies such as nginx would otherwise hold events back.
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown) => {
      if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    let ended = false;
    let unsubscribe: (() => void) | undefined;
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      for (const timer of timers) clearInterval(timer);
      streams.get(operator.sessionHash)?.delete(end);
      if (streams.get(operator.sessionHash)?.size === 0) streams.delete(operator.sessionHash);
      if (!raw.writableEnded) raw.end();
    };
    const mine = streams.get(operator.sessionHash) ?? new Set<() => void>();
    mine.add(end);
    streams.set(operator.sessionHash, mine);
    request.raw.on('close', end);

    const subscriber = {
      liveChatIds,
      deliver: (message: MessageRecord) =>
        send('message', {
          sessionId: message.session_id,
          liveChatId: message.live_chat_id,
          message: messageView(message, views),
        } satisfies FeedMessageEvent),
    };
    try {
      unsubscribe = await feed.subscribe(subscriber);
    } catch (error) {
      report('live feed', error);
      end();
      return;
    }
    if (ended) {
      unsubscribe();
      return;
    }
    send('ready', { operatorId: operator.id });
    timers.push(setInterval(() => raw.write(': keep-alive\n\n'), 15_000));
    timers.push(
      setInterval(() => {
        void (async () => {
          const still = await operatorOfSession(db, operator.sessionHash, clock());
          if (!still) return end();
          subscriber.liveChatIds = new Set((await membershipsOf(db, operator.id)).map((m) => m.liveChatId));
        })().catch((error: unknown) => report('live feed check', error));
      }, 30_000),
    );
  }

  app.addHook('preClose', async () => {
    for (const ends of [...streams.values()]) for (const end of [...ends]) end();
    feed.close();
  });
}

/** The membership in a live chat; a live chat the operator does not serve is out of reach. */
function requireServed(memberships: Membership[], liveChatId: string): Membership {
  const membership = memberships.find((m) => m.liveChatId === liveChatId);
  if (!membership) throw outOfReach('LiveChatNotFound', 'such live chat');
  return membership;
}

/** The page's customer shapes, as Initiate Session takes them. */
function customerOf(customer: z.infer<typeof NewSessionBody>['customer']): SessionCustomer {
  if ('contactId' in customer) {
    return customer.field !== undefined
      ? { contactId: customer.contactId, field: customer.field }
      : { contactId: customer.contactId };
  }
  if ('account' in customer) return { account: customer.account };
  const { name, phone, email, telegram } = customer.newContact;
  const accounts = [
    ...(phone !== undefined ? [{ kind: 'phone' as const, value: phone }] : []),
    ...(telegram !== undefined ? [{ kind: 'telegram' as const, value: telegram }] : []),
  ];
  return {
    newContact: {
      name,
      ...(accounts.length > 0 ? { accounts } : {}),
      ...(email !== undefined ? { emails: [email] } : {}),
    },
  };
}
