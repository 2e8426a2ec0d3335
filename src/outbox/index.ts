export {
  createOutbox,
  type CreateOutboxOptions,
  type Outbox,
  type Relay,
} from "./create-outbox.js";
export {
  defineOutboxHandler,
  typeMatches,
  type OutboxHandler,
  type OutboxHandlerContext,
} from "./define-outbox-handler.js";
export type { OutboxEvent, OutboxEventInput } from "./outbox-event.js";
export { publishEvent, publishEvents } from "./publish-event.js";
export type { OutboxSink, OutboxSource, RelayHooks, SourceStatus } from "./outbox-source.js";
export {
  createLogicalSource,
  type LogicalSourceOptions,
  type RelaySourceOptions,
} from "./logical-source.js";
export {
  assertLogicalReplicationAvailable,
  createLogicalOutboxReader,
  dropSlot,
  ensurePublication,
  ensureSlot,
  formatLsn,
  OUTBOX_SLOT_PREFIX,
  outboxSlotLagRule,
  outboxSlotLagRuleSpec,
  parseLsn,
  readSlot,
  SLOT_DROPPED_METRIC,
  SLOT_LAG_METRIC,
  startSlotLagGuard,
  type FallbackReason,
  type LogicalCommit,
  type LogicalOutboxReader,
  type LogicalOutboxReaderEvents,
  type LogicalOutboxReaderOptions,
  type LogicalOutboxRow,
  type Lsn,
  type SlotLagCheck,
  type SlotLagGuard,
  type SlotLagGuardOptions,
  type SlotState,
} from "./logical/index.js";
export { createPollSource, OUTBOX_RELAY_LOCK_KEY, type PollSourceOptions } from "./poll-source.js";
export {
  createDeliverySink,
  lineOf,
  OUTBOX_DELIVER_TASK,
  OUTBOX_QUEUE,
  type DeliveryJobSettings,
} from "./record-deliveries.js";
export {
  createOutboxAdmin,
  DEFAULT_DELIVERY_SETTINGS,
  DELIVERY_STATES,
  type DeliveryState,
  type EndpointSpec,
  type EndpointState,
  type OutboxAdmin,
  type OutboxAdminOptions,
  type OutboxDelivery,
  type OutboxEndpoint,
  type ReplayFilter,
} from "./outbox-admin.js";
export { signWebhook, checkWebhookSecret } from "./webhook-signature.js";
export { webhookBody } from "./send-webhook.js";
export { outboxParts, type ServiceOutbox } from "./outbox-part.js";
export { outboxScreen, type OutboxAction } from "./outbox-screen.js";
