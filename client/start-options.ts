/** Where and under which id a client starts one of the plugin's workflows. */
export interface StartOptions {
  taskQueue: string;
  /**
   * Also the idempotency key (unless the input names one): starting the same id again after it
   * finished gives the same result and sends nothing twice.
   */
  workflowId: string;
}
