import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (`failureConverterPath`) in the workflow sandbox, the worker and clients: moves
 * failures' messages and stack traces into an encoded payload, so the payload codec encrypts them
 * too (a refusal's message names the customer's number or address).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
