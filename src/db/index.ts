export { createPool, type CreatePoolOptions, type Pool, type PoolClient } from "./pool.js";
export {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
} from "./embedded-postgres.js";
export { describeConnectionTarget } from "./connection-target.js";
export { checkDatabase, type CheckDatabaseOptions, type DatabaseInfo } from "./check-database.js";
export { mapDbError, isDependencyFailure } from "./map-db-error.js";
export { findDatabaseError, type FoundDatabaseError } from "./database-error.js";
export { oldestTransaction, type OldestTransaction } from "./oldest-transaction.js";
export {
  withTransaction,
  type IsolationLevel,
  type TransactionOptions,
} from "./with-transaction.js";
export {
  probePoolerMode,
  assertSessionPooling,
  type PoolerMode,
  type PoolerProbe,
  type ProbePoolerOptions,
} from "./pooler-probe.js";
export { statementSummary, type DbLogger, type SlowQuery } from "./slow-query.js";
export { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";
export { digestDatabase, type DatabaseDigest } from "./database-digest.js";
export type { Queryable, QueryConfigLike, QueryResultLike } from "./queryable.js";
export { withClient, type WithClientOptions } from "./with-client.js";
