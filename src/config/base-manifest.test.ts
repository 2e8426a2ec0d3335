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
      OPSKIT_DATABASE_DIRECT_URL: undefined,
      PORT: 3000,
      HOST: "0.0.0.0",
      NODE_ENV: "development",
      OPSKIT_ROLE: "all",
      LOG_LEVEL: "info",
      OPSKIT_ACCESS_LOG: "on",
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
      OPSKIT_ALERTS_EVALUATION_INTERVAL: 15_000,
      OPSKIT_ALERTS_SLACK_WEBHOOK_URL: undefined,
      OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY: undefined,
      OPSKIT_ALERTS_PAGERDUTY_URL: "https://events.pagerduty.com/v2/enqueue",
      OPSKIT_ALERTS_WEBHOOK_URL: undefined,
      OPSKIT_ALERTS_WEBHOOK_SECRET: undefined,
      OPSKIT_ALERTS_ALERTMANAGER_URL: undefined,
      OPSKIT_BACKUP_DIR: undefined,
      OPSKIT_BACKUP_SCHEDULE: "0 3 * * *",
      OPSKIT_BACKUP_DRILL_SCHEDULE: "0 5 * * 0",
      OPSKIT_BACKUP_KEEP: 14,
      OPSKIT_BACKUP_MAX_AGE: undefined,
      OPSKIT_CONSOLE: true,
      OPSKIT_CONSOLE_ADMIN_TOKENS: undefined,
      OPSKIT_CONSOLE_OPERATOR_TOKENS: undefined,
      OPSKIT_CONSOLE_VIEWER_TOKENS: undefined,
      OPSKIT_CONSOLE_USERS: undefined,
      OPSKIT_CONSOLE_SESSION_TTL: 28_800_000,
      OPSKIT_CONSOLE_SSO_ROLES: undefined,
      OPSKIT_CONSOLE_TRUST_PROXY: false,
      OPSKIT_CONSOLE_BULK_CAP: 1000,
      OPSKIT_AUTH_JWT_SECRET: undefined,
      OPSKIT_AUTH_JWKS_URL: undefined,
      OPSKIT_AUTH_ISSUER: undefined,
      OPSKIT_AUTH_AUDIENCE: undefined,
      OPSKIT_AUTH_ROLES_CLAIM: "roles",
      OPSKIT_AUTH_CLOCK_TOLERANCE: 30_000,
      OPSKIT_AUTH_BASIC_USERS: undefined,
      OPSKIT_SECRET_KEYS: undefined,
      OPSKIT_SECRET_ROTATION_PERIOD: 2160 * 3_600_000,
    },
  );
  assert.deepEqual(baseManifest.prefixes, ["OPSKIT_"]);
  assert.equal(baseManifest.vars.DATABASE_URL.secret, true);
  for (const name of [
    "OPSKIT_CONSOLE_ADMIN_TOKENS",
    "OPSKIT_CONSOLE_OPERATOR_TOKENS",
    "OPSKIT_CONSOLE_VIEWER_TOKENS",
    "OPSKIT_CONSOLE_USERS",
  ] as const)
    assert.equal(baseManifest.vars[name].secret, true, name);
});

test("console logins: hex tokens of 16+ bytes; name:role:password users with a known role", () => {
  const ok = loadConfig(baseManifest, {
    OPSKIT_CONSOLE_ADMIN_TOKENS: `${"ab".repeat(16)},${"cd".repeat(32)}`,
    OPSKIT_CONSOLE_USERS: "ada:admin:correct horse battery,bob:viewer:a:colon:password",
  });
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.OPSKIT_CONSOLE_ADMIN_TOKENS, ["ab".repeat(16), "cd".repeat(32)]);
  for (const bad of [
    { OPSKIT_CONSOLE_ADMIN_TOKENS: "ab".repeat(15) },
    { OPSKIT_CONSOLE_VIEWER_TOKENS: "not-hex-not-hex-not-hex-not-hex!" },
    { OPSKIT_CONSOLE_USERS: "ada:root:correct horse battery" },
    { OPSKIT_CONSOLE_USERS: "ada:admin:short" },
  ]) {
    const result = loadConfig(baseManifest, bad);
    assert.equal(result.ok, false, JSON.stringify(bad));
  }
});

test("backup schedules take a cron pattern of 5 or 6 fields; the retention count is at least 1", () => {
  assert.ok(loadConfig(baseManifest, { OPSKIT_BACKUP_SCHEDULE: "*/30 * * * * *" }).ok);
  assert.equal(loadConfig(baseManifest, { OPSKIT_BACKUP_SCHEDULE: "nightly" }).ok, false);
  assert.equal(loadConfig(baseManifest, { OPSKIT_BACKUP_DRILL_SCHEDULE: "0 5 * *" }).ok, false);
  assert.equal(loadConfig(baseManifest, { OPSKIT_BACKUP_KEEP: "0" }).ok, false);
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
