import { Writable } from 'node:stream';
import { createLogger, errorField, logLevelFrom, scrub } from '../../../infra/logger';
import { temporalToPino } from '../../../infra/runtime';

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    ...options,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    }),
  });
  return { logger, lines, raw };
}

test('a line is one JSON object with the level by name, the time and the ids given', () => {
  const { logger, lines } = capture();
  logger.child({ workflowId: 'order-1042' }).info({ messageId: 'm-1', sessionId: 's-1' }, 'sent');
  expect(lines).toEqual([
    expect.objectContaining({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      workflowId: 'order-1042',
      messageId: 'm-1',
      sessionId: 's-1',
      msg: 'sent',
    }),
  ]);
});

test('fields that carry personal data or secrets are redacted at the top and one level down', () => {
  const { logger, lines } = capture();
  logger.warn(
    {
      to: '+4915123456789',
      text: 'Your order is ready',
      recipient: { email: 'maria@example.com', name: 'Maria', phone: '+4915123456789' },
      headers: { authorization: 'Bearer abc', 'x-twilio-signature': 'sig' },
      messageId: 'm-1',
    },
    'refused',
  );
  expect(lines[0]).toEqual(
    expect.objectContaining({
      to: '[redacted]',
      text: '[redacted]',
      recipient: { email: '[redacted]', name: '[redacted]', phone: '[redacted]' },
      headers: { authorization: '[redacted]', 'x-twilio-signature': '[redacted]' },
      messageId: 'm-1',
    }),
  );
});

test('a configured secret is masked wherever a line would carry it, in the message or any field', () => {
  const secret = '7012345678:AAH-bot-token_Zx9';
  const { logger, raw } = capture({ secrets: [secret, 'pa"ss\\word'] });
  logger.error({ detail: { url: `https://api.example/bot${secret}/sendMessage` } }, `failed with ${secret}`);
  logger.error({ detail: 'login pa"ss\\word refused' }, 'x');
  expect(raw.join('\n')).not.toContain(secret);
  expect(raw.join('\n')).not.toContain('ss\\\\word');
  expect(raw[0]).toContain('[redacted]');
});

test('scrub takes email addresses, phone numbers and chat ids out of a free text and keeps the rest', () => {
  expect(scrub("Invalid 'To' Phone Number: whatsapp:+49 151 2345-6789")).toBe(
    "Invalid 'To' Phone Number: whatsapp:[number]",
  );
  expect(scrub('5.1.1 <maria.k+shop@mail.example.com>: Recipient address rejected')).toBe(
    '5.1.1 <[email]>: Recipient address rejected',
  );
  expect(scrub('Forbidden: bot was blocked by the user 412345678')).toBe(
    'Forbidden: bot was blocked by the user [number]',
  );
  expect(scrub('SMTP 451 try again in 30 s')).toBe('SMTP 451 try again in 30 s');
  expect(errorField(new TypeError('no chat 412345678'))).toEqual({
    type: 'TypeError',
    message: 'no chat [number]',
  });
});

test('LOG_LEVEL is read in any case, WARNING meaning warn, anything else giving the fallback', () => {
  expect(logLevelFrom('WARN', 'info')).toBe('warn');
  expect(logLevelFrom('warning', 'info')).toBe('warn');
  expect(logLevelFrom('Debug', 'info')).toBe('debug');
  expect(logLevelFrom('loud', 'info')).toBe('info');
  expect(logLevelFrom(undefined, 'error')).toBe('error');
});

test("the Temporal SDK's lines reach pino with their ids kept and the failure's text scrubbed", () => {
  const { logger, lines } = capture();
  const failure = new Error(
    "The provider refused message m-1 for good: Invalid 'To' Phone Number: +4915123456789",
  );
  temporalToPino(logger).warn('Activity failed', {
    sdkComponent: 'activity',
    workflowId: 'order-1042',
    activityType: 'dispatchMessage',
    attempt: 1,
    error: failure,
    durationMs: 12,
  });
  expect(lines[0]).toEqual(
    expect.objectContaining({
      level: 'warn',
      msg: 'Activity failed',
      sdkComponent: 'activity',
      workflowId: 'order-1042',
      activityType: 'dispatchMessage',
      attempt: 1,
      durationMs: 12,
      error: {
        type: 'Error',
        message: "The provider refused message m-1 for good: Invalid 'To' Phone Number: [number]",
      },
    }),
  );
});
