import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { baseManifest } from "./base-manifest.js";
import { renderConfigDocs } from "./config-docs.js";
import { loadConfig } from "./load-config.js";

test("the base manifest's defaults with an empty environment", () => {
  const result = loadConfig(baseManifest, {});
  assert.ok(result.ok);
  assert.deepEqual(
    { ...result.config },
    {
      DATABASE_URL: undefined,
      PORT: 3000,
      HOST: "0.0.0.0",
      NODE_ENV: "development",
      OPSKIT_ROLE: "all",
      LOG_LEVEL: "info",
      OPSKIT_RELEASE_ID: undefined,
      OPSKIT_VERSION: undefined,
      OPSKIT_SHUTDOWN_DRAIN_DELAY: 5_000,
      OPSKIT_SHUTDOWN_TIMEOUT: 25_000,
      OPSKIT_SLOW_QUERY_THRESHOLD: 500,
      OPSKIT_HEALTH_CHECK_TIMEOUT: 500,
      OPSKIT_DATA_DIR: ".data",
      OPSKIT_DB_POOL_MAX: 10,
      OPSKIT_JOBS_CONCURRENCY: 10,
      OPSKIT_JOBS_LEASE: 30_000,
      OPSKIT_JOBS_POLL_INTERVAL: 1_000,
      OPSKIT_JOBS_LISTEN: true,
      OPSKIT_JOBS_HISTORY_RETENTION: 604_800_000,
    },
  );
  assert.deepEqual(baseManifest.prefixes, ["OPSKIT_"]);
  assert.equal(baseManifest.vars.DATABASE_URL.secret, true);
});

test("DATABASE_URL takes postgres:// and postgresql:// only; the pool max is 1..1000", () => {
  for (const url of ["postgres://a:b@h/db", "postgresql://h/db"]) {
    assert.ok(loadConfig(baseManifest, { DATABASE_URL: url }).ok);
  }
  assert.equal(loadConfig(baseManifest, { DATABASE_URL: "mysql://h/db" }).ok, false);
  assert.equal(loadConfig(baseManifest, { OPSKIT_DB_POOL_MAX: "0" }).ok, false);
  assert.equal(loadConfig(baseManifest, { OPSKIT_DB_POOL_MAX: "1001" }).ok, false);
});

test("docs/config.md holds the table renderConfigDocs(baseManifest) gives", async () => {
  const doc = await readFile(new URL("../../docs/config.md", import.meta.url), "utf8");
  assert.ok(
    doc.includes(renderConfigDocs(baseManifest)),
    "docs/config.md is out of date: paste the output of `opskit config docs` into it",
  );
});
