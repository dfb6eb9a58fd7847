import * as pkg from '../../index';
import * as workflows from '../../workflows';

// What a workflow designer reaches for must stay exported: a rename here breaks their code.
test('the package exports createActivities, the workers, the error types and the config tools', () => {
  expect(typeof pkg.createActivities).toBe('function');
  expect(typeof pkg.createWorkers).toBe('function');
  expect(typeof pkg.applyConfig).toBe('function');
  expect(new pkg.OperatorOffline({ userId: 'u', status: 'offline' })).toBeInstanceOf(pkg.LiveChatError);
  expect(pkg.NON_RETRYABLE_ERROR_TYPES).toEqual(
    expect.arrayContaining(['InvalidPhoneNumber', 'DeliveryFailed']),
  );
});

test('livechat-temporal/workflows exports the two processes, the fallback send, bulk notify and its query and updates, the scheduled send query and update, the operator reply, and the one-line helper; the example process is not among them', () => {
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
    ].sort(),
  );
});
