// The demo's, the tests' and the recorder's workflows: the product's plus the example business
// process, which ships in no public bundle (a designer writes their own).
export * from '../workflows';
export { orderReadyNotification, orderReadySignal, orderStatusQuery } from './examples/order-ready';
export type { OrderReady, OrderReadyNotificationInput } from './examples/order-ready';
