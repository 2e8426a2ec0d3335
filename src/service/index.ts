export {
  startService,
  type Role,
  type RunningService,
  type ServiceContext,
  type ServiceOptions,
} from "./create-service.js";
export { runService, type RunServiceOptions } from "./run-service.js";
export type { ServiceInbox } from "./service-inbox.js";
export { runShutdown, type ShutdownPhase } from "./shutdown.js";
