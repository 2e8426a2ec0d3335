export { startService, type RunningService, type ServiceOptions } from "./create-service.js";
export { runService, type RunServiceOptions } from "./run-service.js";
export type { AppPartOptions, ServiceJobs } from "./app-parts.js";
export { runShutdown, type ShutdownPhase } from "./shutdown.js";
export {
  ALL_ROLES,
  API_ROLES,
  SERVING_ROLES,
  WORKER_ROLES,
  type BaseConfig,
  type PartContext,
  type PartContributions,
  type PartRoute,
  type PartStop,
  type Role,
  type ServiceContext,
  type ServicePart,
} from "../service-part.js";
