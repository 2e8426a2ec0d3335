export { createPool, type CreatePoolOptions, type Pool, type PoolClient } from "./pool.js";
export {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
} from "./embedded-postgres.js";
