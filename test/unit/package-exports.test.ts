import * as pkg from '../../index';
import * as workflows from '../../workflows';

// What a workflow designer reaches for must stay exported: a rename here breaks their code.
test('the package exports createActivities, the workers, the error types and the config tools', () => {
  expect(typeof pkg.createActivities).toBe('function');
  expect(typeof pkg.createWorkers).toBe('function');
  expect(typeof pkg.LiveChatPlugin).toBe('function');
  expect(typeof pkg.createChannelAdapters).toBe('function');
  expect(typeof pkg.loadProviderConfig).toBe('function');
  expect(typeof pkg.createWorkflowWorker).toBe('function');
  expect(typeof pkg.applyConfig).toBe('function');
  expect(new pkg.OperatorOffline({ userId: 'u', status: 'offline' })).toBeInstanceOf(pkg.LiveChatError);
  expect(pkg.NON_RETRYABLE_ERROR_TYPES).toEqual(
    expect.arrayContaining(['InvalidPhoneNumber', 'DeliveryFailed']),
  );
});

test('livechat-temporal/workflows exports the two processes, the fallback send, bulk notify and its query and updates, the scheduled send query and update, the operator reply, the one-line helper and what a workflow needs to handle a refusal by its type; the example process is not among them', () => {
  expect(Object.keys(workflows).sort()).toEqual(
    [
      'bulkNotify',
      'bulkProgressQuery',
      'pauseBulkUpdate',
      'resumeBulkUpdate',
      'cancelBulkUpdate',
      'sendStateQuery',
      'cancelScheduledSendUpdate',
      'initiateSession',
      'notifyCustomer',
      'operatorReply',
      'sendLiveChatMessage',
      'sendWithFallback',
      'refusalOf',
      'LiveChatError',
      'NON_RETRYABLE_ERROR_TYPES',
    ].sort(),
  );
});
