import {
  ActivityFailure,
  ApplicationFailure,
  DefaultFailureConverter,
  RetryState,
  TerminatedFailure,
  defaultPayloadConverter,
} from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { asProcessFailure } from '../../../activities/failures';
import { applicationFailureOf, describeFailure, describeWorkflowFailure } from '../../../client/failure';
import {
  InvalidInput,
  InvalidPhoneNumber,
  OperatorOffline,
  type LiveChatError,
} from '../../../domain/errors';

/** The ApplicationFailure an activity throws for a domain error (the real conversion). */
async function activityFailureFor(error: LiveChatError): Promise<ApplicationFailure> {
  try {
    await asProcessFailure(() => Promise.reject(error));
  } catch (failure) {
    if (failure instanceof ApplicationFailure) return failure;
    throw failure;
  }
  throw new Error('asProcessFailure did not throw');
}

/** What the client gets: the failure serialised as Temporal does it and read back. */
function overTheWire(error: Error): Error {
  const converter = new DefaultFailureConverter();
  return converter.failureToError(
    converter.errorToFailure(error, defaultPayloadConverter),
    defaultPayloadConverter,
  );
}

/** WorkflowFailedError → ActivityFailure → ApplicationFailure, as a refused activity reaches the client. */
function refusedWorkflow(
  applicationFailure: ApplicationFailure,
  activityType = 'prepareMessage',
): WorkflowFailedError {
  const activity = new ActivityFailure(
    'Activity task failed',
    activityType,
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker@host',
    applicationFailure,
  );
  return new WorkflowFailedError(
    'Workflow execution failed',
    overTheWire(activity),
    RetryState.NON_RETRYABLE_FAILURE,
  );
}

describe('describeWorkflowFailure', () => {
  test('gives the domain type, message and details of a refused activity, across the wire', async () => {
    const domain = new InvalidPhoneNumber({ value: '015123456789', reason: 'missing-plus' });
    const error = refusedWorkflow(await activityFailureFor(domain));

    expect(describeWorkflowFailure(error)).toEqual({
      type: 'InvalidPhoneNumber',
      message: domain.message,
      details: { value: '015123456789', reason: 'missing-plus' },
    });
  });

  test('reads an ApplicationFailure that is the direct cause (a workflow that threw one itself)', () => {
    const failure = ApplicationFailure.create({
      type: 'OrderCancelled',
      message: 'order 1042 was cancelled',
      details: [{ orderId: 1042 }],
      nonRetryable: true,
    });
    const error = new WorkflowFailedError('failed', failure, RetryState.NON_RETRYABLE_FAILURE);

    expect(describeWorkflowFailure(error)).toEqual({
      type: 'OrderCancelled',
      message: 'order 1042 was cancelled',
      details: { orderId: 1042 },
    });
  });

  test('details: null without any, the array when there are several', () => {
    const none = ApplicationFailure.create({ type: 'A', message: 'm' });
    const several = ApplicationFailure.create({ type: 'B', message: 'm', details: [1, 'two'] });
    const wrap = (cause: Error) => new WorkflowFailedError('failed', cause, RetryState.NON_RETRYABLE_FAILURE);

    expect(describeWorkflowFailure(wrap(none))?.details).toBeNull();
    expect(describeWorkflowFailure(wrap(several))?.details).toEqual([1, 'two']);
  });

  test('is undefined for a workflow that failed without an ApplicationFailure, and for other errors', () => {
    const terminated = new WorkflowFailedError(
      'Workflow execution terminated',
      new TerminatedFailure('terminated by an operator'),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeWorkflowFailure(terminated)).toBeUndefined();
    expect(describeWorkflowFailure(new Error('connection refused'))).toBeUndefined();
    expect(describeWorkflowFailure(ApplicationFailure.create({ type: 'A' }))).toBeUndefined();
  });
});

describe('applicationFailureOf', () => {
  test('stops at a cause chain that loops instead of walking forever', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(applicationFailureOf(a)).toBeUndefined();
  });
});

describe('describeFailure', () => {
  test('a domain refusal from a workflow is a refusal', async () => {
    const domain = new OperatorOffline({ userId: 'boris', liveChatId: 'support', status: 'offline' });
    const described = describeFailure(
      refusedWorkflow(await activityFailureFor(domain), 'startOperatorSession'),
    );

    expect(described).toEqual({
      type: 'OperatorOffline',
      message: domain.message,
      details: { userId: 'boris', liveChatId: 'support', status: 'offline' },
      refusal: true,
    });
  });

  test('an ApplicationFailure of a type that is not ours is reported but is not a refusal', () => {
    const error = new WorkflowFailedError(
      'failed',
      ApplicationFailure.create({ type: 'SomethingElse', message: 'boom' }),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeFailure(error)).toMatchObject({ type: 'SomethingElse', message: 'boom', refusal: false });
  });

  test('a domain error thrown in-process (applyConfig) is a refusal with its details', () => {
    const error = new InvalidInput({ path: 'operators.0.id', message: 'Too small' });
    expect(describeFailure(error)).toEqual({
      type: 'InvalidInput',
      message: error.message,
      details: { issues: [{ path: 'operators.0.id', message: 'Too small' }] },
      refusal: true,
    });
  });

  test('a workflow that ended otherwise is named after its cause and is unexpected', () => {
    const error = new WorkflowFailedError(
      'Workflow execution terminated',
      new TerminatedFailure('terminated by an operator'),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeFailure(error)).toEqual({
      type: 'TerminatedFailure',
      message: 'Workflow execution terminated: terminated by an operator',
      details: null,
      refusal: false,
    });
  });

  test('any other error is unexpected, under its name', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), {
      name: 'TransportError',
    });
    expect(describeFailure(refused)).toEqual({
      type: 'TransportError',
      message: 'connect ECONNREFUSED 127.0.0.1:7233',
      details: null,
      refusal: false,
    });
    expect(describeFailure('a string')).toEqual({
      type: 'Error',
      message: 'a string',
      details: null,
      refusal: false,
    });
  });
});
