/**
 * The search attribute our workflows carry so that an erasure finds the executions that hold a
 * customer's data: keyed hashes (HMAC-SHA-256 with `LIVECHAT_CONSENT_KEY`) of the contact and of
 * the account a message went to, never an id or a value. A Keyword List; a production namespace
 * registers it once with `temporal operator search-attribute create --name LiveChatContacts --type
 * KeywordList` (the dev server of this repository does so itself). Imported inside the workflow
 * sandbox: nothing here may import Node modules.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CONTACT_SEARCH_ATTRIBUTE = 'LiveChatContacts';

export const CONTACT_SEARCH_ATTRIBUTE_KEY = defineSearchAttributeKey(
  CONTACT_SEARCH_ATTRIBUTE,
  SearchAttributeType.KEYWORD_LIST,
);
