export {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  withTestDb,
  type TestDatabase,
} from "./test-database.js";
export { prepareTestTemplate } from "./test-template.js";
export {
  ALLOW_ANY_DATABASE_ENV,
  assertTestDatabase,
  looksLikeTestDatabase,
} from "./test-database-guard.js";
export { waitUntil } from "./wait-until.js";
