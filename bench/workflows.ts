// The benchmark's worker bundles the product's workflows plus the no-op floor.
export * from '../workflows';
export { benchNoop } from './noop-workflow';
