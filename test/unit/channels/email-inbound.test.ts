// Reading an inbound email (raw MIME, as an inbound-parse service posts it) into what is recorded.
import { InvalidEmail, InvalidInput } from '../../../domain/errors';
import { readInboundMail } from '../../../channels/email/inbound';

/** A customer's message (a test fails if the mail is read as a delivery report). */
async function parseInbound(raw: Buffer) {
  const mail = await readInboundMail(raw);
  if (mail.kind !== 'message') throw new Error(`expected a customer message, got a ${mail.kind}`);
  return mail.message;
}

function mime(headers: Record<string, string>, body = 'Thanks, I will come tomorrow.'): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return Buffer.from(
    [...lines, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'),
  );
}

const reply = {
  From: 'Maria Schmidt <maria@example.com>',
  To: 'support@shop.example',
  Subject: 'Re: Your order',
  'Message-ID': '<reply-1@mail.example.com>',
  'In-Reply-To': '<abc@shop.example>',
  References: '<first@shop.example> <abc@shop.example>',
};

test('a reply: sender, text, subject, its Message-ID and the ids it answers', async () => {
  await expect(parseInbound(mime(reply))).resolves.toEqual({
    from: 'maria@example.com',
    text: 'Thanks, I will come tomorrow.',
    subject: 'Re: Your order',
    providerMessageId: '<reply-1@mail.example.com>',
    inReplyTo: ['<abc@shop.example>', '<first@shop.example>'],
    attachments: [],
  });
});

test('a new message answers nothing and may have no subject', async () => {
  const parsed = await parseInbound(
    mime({ From: 'maria@example.com', 'Message-ID': '<new@mail.example.com>' }),
  );
  expect(parsed.inReplyTo).toEqual([]);
  expect(parsed.subject).toBeUndefined();
});

test('an HTML-only message is read as text', async () => {
  const raw = Buffer.from(
    [
      'From: maria@example.com',
      'Message-ID: <html@mail.example.com>',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hello <b>there</b></p>',
      '',
    ].join('\r\n'),
  );
  expect((await parseInbound(raw)).text).toBe('Hello there');
});

test('an internationalised sender domain stays in its ASCII form', async () => {
  const parsed = await parseInbound(mime({ ...reply, From: 'Ivan <ivan@xn--80ak6aa92e.com>' }));
  expect(parsed.from).toBe('ivan@xn--80ak6aa92e.com');
});

test('a long or multi-line subject is made one shortened line instead of refusing the mail', async () => {
  const parsed = await parseInbound(mime({ ...reply, Subject: `${'word '.repeat(100)}\tend` }));
  expect(parsed.subject).toBeDefined();
  expect(parsed.subject?.length).toBeLessThanOrEqual(255);
  expect(parsed.subject).not.toMatch(/[\t\r\n]/);
});

test('mail without a Message-ID gets one derived from its bytes, the same for the same bytes', async () => {
  const { 'Message-ID': _dropped, ...rest } = reply;
  const first = await parseInbound(mime(rest));
  const again = await parseInbound(mime(rest));
  const other = await parseInbound(mime(rest, 'Something else.'));
  expect(first.providerMessageId).toMatch(/^<sha256\.[0-9a-f]{64}@inbound\.invalid>$/);
  expect(again.providerMessageId).toBe(first.providerMessageId);
  expect(other.providerMessageId).not.toBe(first.providerMessageId);
});

test('mail without a From is refused', async () => {
  const { From: _dropped, ...rest } = reply;
  await expect(parseInbound(mime(rest))).rejects.toBeInstanceOf(InvalidInput);
});

test('mail from two senders is refused', async () => {
  await expect(parseInbound(mime({ ...reply, From: 'a@example.com, b@example.com' }))).rejects.toMatchObject({
    type: 'InvalidEmail',
    details: { reason: 'multiple-addresses' },
  });
  await expect(parseInbound(mime({ ...reply, From: 'Nobody' }))).rejects.toBeInstanceOf(InvalidEmail);
});

test('threading ids are bounded in number', async () => {
  const references = Array.from({ length: 500 }, (_, i) => `<r${i}@example.com>`).join(' ');
  const parsed = await parseInbound(mime({ ...reply, References: references }));
  expect(parsed.inReplyTo.length).toBeLessThanOrEqual(100);
  expect(parsed.inReplyTo[0]).toBe('<abc@shop.example>');
});

/** A bounce as Postfix writes it: a human part, the machine-readable report, the returned headers. */
function bounce(options: { returned: string; returnedType?: string; reportType?: string; action?: string }) {
  return Buffer.from(
    [
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
      'To: support@shop.example',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <bounce-1@mx.example.net>',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=${options.reportType ?? 'delivery-status'}; boundary="B"`,
      '',
      '--B',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'I could not deliver your message.',
      '',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; gone@example.net',
      `Action: ${options.action ?? 'failed'}`,
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address',
      '    rejected: User unknown',
      '',
      '--B',
      `Content-Type: ${options.returnedType ?? 'text/rfc822-headers'}`,
      '',
      options.returned,
      '--B--',
      '',
    ].join('\r\n'),
  );
}

const returnedHeaders = [
  'From: support@shop.example',
  'To: gone@example.net',
  'Message-ID: <abc-123@shop.example>',
  '',
].join('\r\n');

test('a bounce is read as a delivery report about the returned message, not as a customer message', async () => {
  await expect(readInboundMail(bounce({ returned: returnedHeaders }))).resolves.toEqual({
    kind: 'delivery-report',
    report: {
      originalMessageIds: ['<abc-123@shop.example>'],
      recipients: [
        {
          recipient: 'gone@example.net',
          action: 'failed',
          status: '5.1.1',
          diagnostic: '550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown',
        },
      ],
    },
  });
});

test('a bounce that returns the whole message finds its Message-ID too', async () => {
  const returned = `${returnedHeaders}Content-Type: text/plain\r\n\r\nYour order is ready.\r\n`;
  const mail = await readInboundMail(bounce({ returned, returnedType: 'message/rfc822' }));
  expect(mail).toMatchObject({
    kind: 'delivery-report',
    report: { originalMessageIds: ['<abc-123@shop.example>'] },
  });
});

test('another kind of report (a read receipt) is an ordinary message', async () => {
  const mail = await readInboundMail(
    bounce({ returned: returnedHeaders, reportType: 'disposition-notification' }),
  );
  expect(mail.kind).toBe('message');
});
