export { createHealth, type CreateHealthOptions, type Health } from "./create-health.js";
export {
  checkKey,
  type CheckResult,
  type ComponentType,
  type HealthCheck,
  type HealthCheckOutcome,
  type HealthStatus,
} from "./health-check.js";
export { postgresCheck, type PostgresCheckOptions } from "./postgres-check.js";
export { HEALTH_STATES, type HealthState } from "./health-state.js";
export type { HealthSnapshot, NotReadyReason } from "./health-snapshot.js";
export type { ReadinessBody } from "./health-routes.js";
export {
  HEALTH_MEDIA_TYPE,
  type HealthCheckEntry,
  type HealthDocument,
  type HealthIdentity,
} from "./health-document.js";
export { safeErrorMessage, type Sanitize } from "./safe-message.js";
export { healthPart } from "./health-part.js";
export {
  defineSmokeSteps,
  isSmokeSteps,
  runSmokeSteps,
  type SmokeContext,
  type SmokeResult,
  type SmokeStep,
} from "./smoke-steps.js";
