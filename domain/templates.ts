/**
 * Templates: the text of a process message ("Your order {{orderId}} is ready") and the name of a
 * new session (rule 5). Both are pure: the same template and variables give the same text, so a
 * replayed workflow renders what it rendered the first time.
 */
import Handlebars from 'handlebars';
import { channelRules } from './channels';
import { InvalidInput, TemplateInvalid, TemplateVariableMissing } from './errors';
import type { ChannelKind } from './types';

/** Our own Handlebars environment: helpers or partials someone registers globally do not leak in. */
const handlebars = Handlebars.create();

const COMPILE_OPTIONS: CompileOptions = {
  // A variable the template uses but the caller did not give is an error, not an empty gap in a
  // message a customer reads.
  strict: true,
  // Channels carry plain text, not HTML: "Tom & Jerry" must not arrive as "Tom &amp; Jerry".
  noEscape: true,
  // Only the built-in helpers (if, each, with, unless, lookup): a typo is a compile error, not a
  // silent lookup of a helper that does not exist.
  knownHelpersOnly: true,
};
type CompileOptions = Parameters<typeof Handlebars.compile>[1];

/** Templates come from a handful of process definitions and live-chat settings; bound it anyway. */
const CACHE_SIZE = 500;
const cache = new Map<string, Handlebars.TemplateDelegate>();

function compiled(template: string): Handlebars.TemplateDelegate {
  const hit = cache.get(template);
  if (hit) {
    // Re-insert so the Map's insertion order doubles as least-recently-used order.
    cache.delete(template);
    cache.set(template, hit);
    return hit;
  }
  // Handlebars compiles lazily; `parse` here makes syntax errors surface now rather than on first use.
  handlebars.parse(template);
  const fn = handlebars.compile(template, COMPILE_OPTIONS);
  cache.set(template, fn);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return fn;
}

/**
 * Renders a message template with Handlebars. Throws `TemplateVariableMissing` naming the first
 * variable that was not given, and `TemplateInvalid` for anything else wrong with the template.
 */
export function renderMessageTemplate(template: string, variables: Record<string, unknown>): string {
  // Keys whose value is `undefined` count as missing: JSON, which carries workflow inputs to
  // activities, drops them, so treating them as present would render differently after a hop.
  const context = Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined));
  try {
    return compiled(template)(context);
  } catch (e) {
    throw toTemplateError(e, template);
  }
}

/**
 * The variable paths a message template names (`name`, `contact.data.city`), as written, without
 * helpers' own names or `@` data; throws `TemplateInvalid` when it does not parse.
 */
export function templatePaths(template: string): string[] {
  let ast: unknown;
  try {
    ast = handlebars.parse(template);
  } catch (e) {
    throw toTemplateError(e, template);
  }
  const paths = new Set<string>();
  const visit = (node: unknown, isCallee: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, false));
    if (node === null || typeof node !== 'object') return;
    const n = node as {
      type?: string;
      original?: string;
      data?: boolean;
      depth?: number;
      path?: unknown;
      params?: unknown[];
    };
    if (n.type === 'PathExpression') {
      if (!n.data && !isCallee && n.depth === 0 && n.original) paths.add(n.original);
      return;
    }
    // A block or a helper call: its path is the helper's name when it has parameters.
    const hasParams = Array.isArray(n.params) && n.params.length > 0;
    for (const [key, value] of Object.entries(n)) {
      if (key === 'loc') continue;
      visit(value, key === 'path' && (hasParams || n.type === 'BlockStatement'));
    }
  };
  visit(ast, false);
  return [...paths];
}

/** What a contact offers a bulk's template: `contact.id`, `contact.name`, and `contact.data.<field>`. */
export const CONTACT_TEMPLATE_FIELDS = ['id', 'name', 'data'] as const;

/**
 * The `contact.…` paths of a template that no contact can have (`contact.nmae`, `contact` alone),
 * for a refusal before anything is sent.
 */
export function unknownContactPaths(paths: string[]): string[] {
  return paths.filter((path) => {
    const [head, field, sub] = path.split('.');
    if (head !== 'contact') return false;
    if (field === 'id' || field === 'name') return sub !== undefined;
    return !(field === 'data' && sub !== undefined && sub !== '');
  });
}

/** Whether a template names any `contact.…` field: then each recipient's contact is read to render it. */
export function namesContact(paths: string[]): boolean {
  return paths.some((path) => path === 'contact' || path.startsWith('contact.'));
}

function toTemplateError(e: unknown, template: string): TemplateInvalid | TemplateVariableMissing {
  const message = e instanceof Error ? e.message : String(e);
  // Handlebars' strict mode says: `"name" not defined in [object Object] - 1:5`.
  const missing = /^"(.*)" not defined in /.exec(message);
  if (missing && e instanceof handlebars.Exception) {
    const line = typeof e.lineNumber === 'number' ? e.lineNumber : undefined;
    const column = typeof e.column === 'number' ? e.column : undefined;
    return new TemplateVariableMissing({
      // The message names only the last segment (`id` of `order.id`); the location gives the whole path.
      variable: pathAt(template, line, column, e.endColumn) ?? missing[1] ?? '',
      line,
      column: column === undefined ? undefined : column + 1,
    });
  }
  return new TemplateInvalid({ reason: describeParseError(message) });
}

/**
 * Handlebars' parse errors span four lines (position, excerpt, caret, the tokens it expected);
 * keep the position, the excerpt and what it found, which is what a template author needs.
 */
function describeParseError(message: string): string {
  const [position, excerpt, , expected] = message.split('\n');
  if (!position?.startsWith('Parse error') || excerpt === undefined) return message;
  const found = expected ? /got '([^']+)'/.exec(expected)?.[1] : undefined;
  return `${position.replace(/:$/, '')} near ${JSON.stringify(excerpt.trim())}${found ? ` (unexpected ${found})` : ''}`;
}

/** The expression at a Handlebars location (1-based line, 0-based columns), if it looks like a path. */
function pathAt(
  template: string,
  line: number | undefined,
  column: number | undefined,
  end: unknown,
): string | null {
  if (line === undefined || column === undefined || typeof end !== 'number') return null;
  const text = template.split('\n')[line - 1]?.slice(column, end).trim();
  return text && /^[\w.$@/[\]-]+$/.test(text) ? text : null;
}

/** The variables a session-name template may use. */
export const SESSION_NAME_VARIABLES = ['contactName', 'date', 'liveChat', 'channel'] as const;
/** Used when the administrator has not set a template. */
export const DEFAULT_SESSION_NAME_TEMPLATE = '{{contactName}} · {{channel}} · {{date}}';
export const MAX_SESSION_NAME_LENGTH = 200;

export interface SessionNameContext {
  contactName?: string;
  /** Shown when there is no contact name, e.g. the phone number or address. */
  account?: string;
  /** When the session starts; passed in so rendering stays deterministic. */
  date: Date;
  liveChatName: string;
  channelKind: ChannelKind;
  /** The channel's own name ("Support inbox"); defaults to the kind's label ("Email"). */
  channelName?: string;
  subject?: string;
}

/**
 * The name of a new session (rule 5): a non-blank email subject names the session; otherwise the
 * administrator's template, or the default one. Names are one line, trimmed, at most 200 characters.
 */
export function renderSessionName(template: string | null | undefined, ctx: SessionNameContext): string {
  const rules = channelRules(ctx.channelKind);
  if (rules.hasSubject && ctx.subject && ctx.subject.trim() !== '') return tidyName(ctx.subject);

  if (Number.isNaN(ctx.date.getTime())) {
    throw new InvalidInput({ path: 'date', message: 'the session date is not a valid date' });
  }
  const variables = {
    contactName: nonBlank(ctx.contactName) ?? nonBlank(ctx.account) ?? 'Unknown contact',
    date: ctx.date.toISOString().slice(0, 10),
    liveChat: ctx.liveChatName,
    channel: nonBlank(ctx.channelName) ?? rules.label,
  };
  const chosen = nonBlank(template) ?? DEFAULT_SESSION_NAME_TEMPLATE;
  return (
    tidyName(renderMessageTemplate(chosen, variables)) ||
    tidyName(renderMessageTemplate(DEFAULT_SESSION_NAME_TEMPLATE, variables))
  );
}

/**
 * For the live-chat settings: refuses a session-name template that would fail later, when an
 * operator or a process starts a session. Throws `TemplateInvalid` / `TemplateVariableMissing`.
 */
export function validateSessionNameTemplate(template: string): void {
  const sample = Object.fromEntries(SESSION_NAME_VARIABLES.map((name) => [name, 'x']));
  renderMessageTemplate(template, sample);
}

function nonBlank(value: string | null | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** One line, no surrounding space, at most 200 characters without cutting a character in half. */
function tidyName(name: string): string {
  const line = name.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= MAX_SESSION_NAME_LENGTH
    ? line
    : chars.slice(0, MAX_SESSION_NAME_LENGTH).join('').trimEnd();
}
