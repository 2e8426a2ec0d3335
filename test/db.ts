// The test databases are opskit's public testing helpers (opskit/testing); this file keeps the old path.
export {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  withTestDb,
  type TestDatabase,
} from "../src/testing/index.js";
