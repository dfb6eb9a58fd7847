import { reportLingeringResources } from './support/lingering';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as unknown as { livechatTeardown?: () => Promise<void> };
  await state.livechatTeardown?.();
  reportLingeringResources();
}
