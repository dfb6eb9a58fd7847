import { splitQuotedReply } from '../../../channels/email/quoted';

test.each([
  ['Gmail', 'Fine.\n\nOn Mon, 1 Dec 2026 at 18:02, Support <s@shop.example> wrote:\n> Does 10 suit you?'],
  [
    'Gmail, attribution over two lines',
    'Fine.\n\nOn Mon, 1 Dec 2026 at 18:02, Support <s@shop.example>\nwrote:\n\n> Does 10 suit you?',
  ],
  ['German', 'Fine.\n\nAm 01.12.2026 um 18:02 schrieb Support <s@shop.example>:\n> Passt 10 Uhr?'],
  [
    'Outlook separator',
    'Fine.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nDoes 10 suit you?',
  ],
  [
    'Outlook header block',
    'Fine.\n\nFrom: Support <s@shop.example>\nSent: Monday, December 1, 2026\nTo: Peter\n\nDoes 10 suit you?',
  ],
  ['Russian', 'Fine.\n\n1 дек. 2026 г., в 18:02, Support <s@shop.example> написал(а):\n> Подходит?'],
  ['a trailing > block', 'Fine.\n\n> Does 10 suit you?\n> Support'],
])('%s: the new part is the text, the whole kept', (_client, whole) => {
  expect(splitQuotedReply(whole)).toEqual({ text: 'Fine.', fullText: whole });
});

test.each([
  ['no quote', 'Fine, see you at 10.\nPeter'],
  ['only a quote (a forward with nothing written)', 'On Mon, 1 Dec 2026, Support wrote:\n> Hello'],
  ['a quote in the middle, answered inline', '> Does 10 suit you?\nYes.\n> And the address?\nMain St 1.'],
  ['a sentence that ends in "wrote:" with no date', 'This is what my colleague wrote:\nthe kettle is red.'],
])('%s: the text stays whole', (_case, whole) => {
  expect(splitQuotedReply(whole)).toEqual({ text: whole });
});
