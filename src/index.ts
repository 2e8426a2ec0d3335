/**
 * opskit: the operations runtime for TypeScript services on Postgres.
 * The root entry is the service bootstrap; each area has its own subpath
 * (`opskit/config`, `opskit/log`, `opskit/db`, `opskit/health`, …).
 *
 * @example
 * import { runService } from "opskit";
 * await runService({ name: "bakery", version: "1.0.0", routes });
 */
export {
  runService,
  startService,
  type RunningService,
  type ServiceOptions,
  type Role,
} from "./service/index.js";
export { OpskitError, ERROR_CODES, type ErrorCode } from "./errors.js";
