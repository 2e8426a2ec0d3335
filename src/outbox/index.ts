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
export type { OutboxSink, OutboxSource } from "./outbox-source.js";
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
