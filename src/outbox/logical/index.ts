// The outbox's optional logical replication reader; re-exported by the outbox area's index.ts.
export {
  createLogicalOutboxReader,
  type FallbackReason,
  type LogicalCommit,
  type LogicalOutboxReader,
  type LogicalOutboxReaderEvents,
  type LogicalOutboxReaderOptions,
  type LogicalOutboxRow,
} from "./logical-outbox-reader.js";
export {
  SLOT_DROPPED_METRIC,
  SLOT_LAG_METRIC,
  startSlotLagGuard,
  type SlotLagCheck,
  type SlotLagGuard,
  type SlotLagGuardOptions,
} from "./slot-lag-guard.js";
export { OUTBOX_SLOT_PREFIX, outboxSlotLagRule, outboxSlotLagRuleSpec } from "./slot-lag-rule.js";
export {
  assertLogicalReplicationAvailable,
  dropSlot,
  ensurePublication,
  ensureSlot,
  readSlot,
  type SlotState,
} from "./replication-slots.js";
export { formatLsn, parseLsn, type Lsn } from "./lsn.js";
