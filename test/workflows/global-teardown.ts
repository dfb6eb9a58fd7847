export default async function globalTeardown(): Promise<void> {
  const state = globalThis as unknown as { livechatWorkflowTeardown?: () => Promise<void> };
  await state.livechatWorkflowTeardown?.();
}
