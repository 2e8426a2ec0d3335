export {
  checkTimestamp,
  decodeSignature,
  DEFAULT_TOLERANCE_SECONDS,
  digestsEqual,
  hmac,
  matchSecret,
  type HmacAlgorithm,
  type KeyRule,
  type SignatureEncoding,
  type Verification,
  type Verifier,
  type VerifyFailureReason,
  type WebhookRequest,
} from "./verifier.js";
export * from "./verifiers/index.js";
export {
  defineSource,
  DEFAULT_MAX_BODY_BYTES,
  type InboxEvent,
  type InboxHandler,
  type InboxHandlerContext,
  type Source,
  type SourceOptions,
} from "./define-source.js";
export {
  createInbox,
  type CreateInboxOptions,
  type Inbox,
  type InboxAppEnv,
} from "./create-inbox.js";
export type { IncomingWebhook, WebhookResponse } from "./receive-webhook.js";
export type {
  WebhookDuplicateEvent,
  WebhookEvents,
  WebhookRejectedEvent,
  WebhookStoredEvent,
} from "./webhook-events.js";
export { readKey, MAX_KEY_LENGTH } from "./event-keys.js";
export { jsonKeyText } from "./json-key-text.js";
export { maskHeaders, MASKED } from "./mask-headers.js";
export {
  EVENT_STATUSES,
  type InboxEventFilter,
  type InboxEventStatus,
} from "./sql/inbox-event-filter.js";
export { createInboxAdmin, type InboxAdmin } from "./inbox-admin.js";
export type { InboxOverview } from "./sql/read-inbox-overview.js";
export type { InboxFailureCounts } from "./sql/count-inbox-failures.js";
export {
  countInboxEvents,
  findInboxEvent,
  listInboxEvents,
  listInboxRejections,
  type InboxEventDetail,
  type InboxEventSummary,
  type InboxRejectionRow,
} from "./sql/inbox-events.js";
export {
  findInboxSource,
  listInboxSources,
  pauseInboxSource,
  registerInboxSources,
  resumeInboxSource,
  type InboxSourceRow,
} from "./sql/inbox-sources.js";
export {
  replayInboxEvent,
  replayInboxEvents,
  type ReplayRequest,
  type ReplayResult,
} from "./sql/replay-inbox-events.js";
export {
  pruneInboxPayloads,
  type PruneOptions,
  type PruneResult,
} from "./sql/prune-inbox-payloads.js";
export {
  startPayloadRetention,
  type PayloadRetention,
  type PayloadRetentionOptions,
} from "./payload-retention.js";
export { inboxParts, type InboxParts, type ServiceInbox } from "./inbox-parts.js";
