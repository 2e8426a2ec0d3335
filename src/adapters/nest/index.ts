export {
  OPSKIT,
  OPSKIT_INBOX_ADMIN,
  OPSKIT_JOBS_ADMIN,
  OPSKIT_LOGGER,
  OPSKIT_POOL,
  OPSKIT_QUEUE,
  OpskitGuard,
  OpskitModule,
  type OpskitModuleAsyncOptions,
} from "./opskit-module.js";
export type { OpskitLocals } from "../express/index.js";
export type { AdaptedRequest, AdaptedService } from "../adapted-service.js";
