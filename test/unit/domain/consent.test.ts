import { consentConfirmation, consentKeyword } from '../../../domain/consent';

describe('what a customer’s whole message says about consent', () => {
  test.each([
    ['STOP', 'opted-out'],
    ['stop', 'opted-out'],
    [' Stop! ', 'opted-out'],
    ['UNSUBSCRIBE.', 'opted-out'],
    ['стоп', 'opted-out'],
    ['Отписаться', 'opted-out'],
    ['START', 'opted-in'],
    ['/start', 'opted-in'],
    ['Subscribe', 'opted-in'],
    ['старт', 'opted-in'],
  ])('%j opts %s by default', (text, state) => {
    expect(consentKeyword(text, {})?.state).toBe(state);
  });

  test.each(['Please stop sending me the newsletter', 'STOPP', 'stop it', '', '   ', 'START NOW'])(
    '%j is just text',
    (text) => {
      expect(consentKeyword(text, {})).toBeUndefined();
    },
  );

  test('a live chat’s own keywords replace the defaults', () => {
    const settings = { optOutKeywords: ['Halt'], optInKeywords: ['ja'] };
    expect(consentKeyword('HALT', settings)).toEqual({ state: 'opted-out', keyword: 'HALT' });
    expect(consentKeyword('Ja!', settings)).toEqual({ state: 'opted-in', keyword: 'JA' });
    expect(consentKeyword('STOP', settings)).toBeUndefined();
  });

  test('the confirmation names the live chat and how to come back', () => {
    expect(consentConfirmation('opted-out', 'Shop', 'START')).toBe(
      'You will no longer receive messages from Shop. Reply START to receive them again.',
    );
    expect(consentConfirmation('opted-in', 'Shop', 'START')).toBe(
      'You will receive messages from Shop again.',
    );
  });
});
