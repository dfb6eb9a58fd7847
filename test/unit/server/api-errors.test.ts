import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import {
  InvalidInput,
  LIVE_CHAT_ERRORS,
  ProviderUnavailable,
  SessionAlreadyOpen,
  SessionAssignedToAnother,
} from '../../../domain/errors';
import { ApiError, outOfReach, refusalToApiError, unauthenticated } from '../../../server/operators/errors';

describe("the operators API answers a refusal with the catalogue's status and title", () => {
  test('a refusal from a workflow carries type, title, message and details, and its status', () => {
    const refusal = new SessionAlreadyOpen({
      sessionId: 's-42',
      account: '+4915123456789',
      channelKind: 'whatsapp',
    });
    const error = refusalToApiError(
      new WorkflowFailedError('failed', refusal.toFailure(), RetryState.NON_RETRYABLE_FAILURE),
    );
    expect(error?.statusCode).toBe(409);
    expect(error?.body()).toEqual({
      error: {
        type: 'SessionAlreadyOpen',
        title: 'A session is already open.',
        message: refusal.message,
        details: refusal.details,
        link: '/#/sessions/s-42',
      },
    });
  });

  test.each([
    [new InvalidInput({ path: 'text', message: 'is required' }), 400],
    [new SessionAssignedToAnother({ sessionId: 's1', assignedOperatorId: 'anna' }), 403],
  ])('a domain error thrown in the server: %s', (refusal, status) => {
    const error = refusalToApiError(refusal);
    expect(error?.statusCode).toBe(status);
    expect(error?.body().error).toMatchObject({
      type: refusal.type,
      title: LIVE_CHAT_ERRORS[refusal.type as keyof typeof LIVE_CHAT_ERRORS].title,
      details: refusal.details,
    });
  });

  test('a retryable failure or a failure of another type is no refusal (the caller answers 500)', () => {
    expect(refusalToApiError(new ProviderUnavailable({ messageId: 'm1', reason: 'down' }))).toBeUndefined();
    const other = ApplicationFailure.create({ type: 'SomethingElse', message: 'boom' });
    expect(
      refusalToApiError(new WorkflowFailedError('failed', other, RetryState.NON_RETRYABLE_FAILURE)),
    ).toBeUndefined();
  });

  test('the answers of the API itself carry a title too', () => {
    expect(unauthenticated().body().error).toMatchObject({
      type: 'Unauthenticated',
      title: 'Please sign in.',
    });
    expect(unauthenticated().statusCode).toBe(401);
    const hidden = outOfReach('LiveChatNotFound', 'such live chat');
    expect(hidden.statusCode).toBe(403);
    expect(hidden.body().error).toMatchObject({ type: 'LiveChatNotFound', title: 'No such live chat.' });
    const fastify = new ApiError('BadRequest', 'Body is too large', { statusCode: 413 });
    expect(fastify.statusCode).toBe(413);
    expect(fastify.body().error.title).toBe('The request could not be read.');
  });
});
