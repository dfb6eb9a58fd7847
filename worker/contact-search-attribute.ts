import type { temporal } from '@temporalio/proto';
import { CONTACT_SEARCH_ATTRIBUTE } from '../domain/search-attributes';

/** What the check needs of a connection's OperatorService (a NativeConnection's or a client's). */
interface SearchAttributeLister {
  listSearchAttributes(
    request: temporal.api.operatorservice.v1.IListSearchAttributesRequest,
  ): Promise<temporal.api.operatorservice.v1.IListSearchAttributesResponse>;
}

/**
 * Whether the namespace has the `LiveChatContacts` search attribute (so our workflows may set it);
 * false when it cannot be told (a server that does not answer the Operator API to this caller).
 */
export async function hasContactSearchAttribute(
  operatorService: SearchAttributeLister,
  namespace: string,
): Promise<boolean> {
  try {
    const answer = await operatorService.listSearchAttributes({ namespace });
    return Object.prototype.hasOwnProperty.call(answer.customAttributes ?? {}, CONTACT_SEARCH_ATTRIBUTE);
  } catch {
    return false;
  }
}
