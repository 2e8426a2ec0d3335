import assert from "node:assert/strict";
import { test } from "node:test";
import { baseManifest } from "./base-manifest.js";
import { formatConfigReport } from "./config-report.js";
import { configError, loadConfig, requireConfig } from "./load-config.js";
import { defineManifest, extendManifest } from "./manifest.js";
import { v } from "./v.js";

const bakery = defineManifest({
  prefixes: ["BAKERY_"],
  vars: {
    BAKERY_SHOP_SECRET: v.secret({ encoding: "hex", minBytes: 32, description: "Signs webhooks." }),
    BAKERY_STORES: v.list({
      optional: true,
      description: "Store domains.",
      example: "a.myshopify.com,b.myshopify.com",
    }),
    BAKERY_BATCH: v.int({ min: 1, max: 100, description: "Batch size.", example: "10" }),
    BAKERY_DRY_RUN: v.bool({ default: false, description: "Log instead of pushing." }),
  },
});
const manifest = extendManifest(baseManifest, bakery);
const SECRET = "ab".repeat(32);
const valid = { BAKERY_SHOP_SECRET: SECRET, BAKERY_BATCH: "10" };

test("defaults are applied and the config is typed from the manifest", () => {
  const result = loadConfig(manifest, valid);
  assert.ok(result.ok);
  const { config } = result;
  // Type-level checks: these lines fail `tsc` if the inferred types drift.
  const port: number = config.PORT;
  const role: "api" | "worker" | "migrate" | "all" = config.OPSKIT_ROLE;
  const url: string | undefined = config.DATABASE_URL;
  const stores: readonly string[] | undefined = config.BAKERY_STORES;
  const dryRun: boolean = config.BAKERY_DRY_RUN;
  const drain: number = config.OPSKIT_SHUTDOWN_DRAIN_DELAY;
  // @ts-expect-error PROT is not declared: reading it does not compile (never called).
  const _typo = (): unknown => config.PROT;
  assert.equal(port, 3000);
  assert.equal(role, "all");
  assert.equal(url, undefined);
  assert.equal(stores, undefined);
  assert.equal(dryRun, false);
  assert.equal(drain, 5_000);
  assert.equal(config.OPSKIT_SLOW_QUERY_THRESHOLD, 500);
  assert.equal(config.OPSKIT_DB_POOL_MAX, 10);
  assert.equal(config.OPSKIT_DATA_DIR, ".data");
  assert.equal(config.BAKERY_BATCH, 10);
});

test("set values are parsed and trimmed", () => {
  const result = loadConfig(manifest, {
    ...valid,
    PORT: " 8080 ",
    OPSKIT_ROLE: "worker",
    BAKERY_STORES: "a.myshopify.com, b.myshopify.com",
    BAKERY_DRY_RUN: "YES",
    OPSKIT_SHUTDOWN_TIMEOUT: "1m",
  });
  assert.ok(result.ok);
  assert.equal(result.config.PORT, 8080);
  assert.equal(result.config.OPSKIT_ROLE, "worker");
  assert.deepEqual(result.config.BAKERY_STORES, ["a.myshopify.com", "b.myshopify.com"]);
  assert.equal(result.config.BAKERY_DRY_RUN, true);
  assert.equal(result.config.OPSKIT_SHUTDOWN_TIMEOUT, 60_000);
});

test("one report groups every missing, invalid and unknown variable at once", () => {
  const result = loadConfig(manifest, {
    PORT: "70000",
    OPSKIT_ROLE: "everything",
    BAKERY_DRY_RUN: "maybe",
    OPSKIT_SHUTDOWN_TIMOUT: "30s",
    BAKERY_COLOUR: "blue",
  });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  const { missing, invalid, unknown } = result.report;
  assert.deepEqual(
    missing.map((p) => p.name),
    ["BAKERY_SHOP_SECRET", "BAKERY_BATCH"],
  );
  assert.deepEqual(
    invalid.map((p) => p.name),
    ["PORT", "OPSKIT_ROLE", "BAKERY_DRY_RUN"],
  );
  assert.deepEqual(
    unknown.map((p) => p.name),
    ["BAKERY_COLOUR", "OPSKIT_SHUTDOWN_TIMOUT"],
  );
  assert.equal(unknown[1]?.didYouMean, "OPSKIT_SHUTDOWN_TIMEOUT");
  assert.equal(unknown[0]?.didYouMean, undefined);
  const batch = missing[1];
  assert.deepEqual(batch, {
    name: "BAKERY_BATCH",
    expected: "an integer from 1 to 100",
    type: "int (1..100)",
    description: "Batch size.",
    example: "10",
    message: "BAKERY_BATCH is not set: expected an integer from 1 to 100.",
  });
  assert.equal(
    invalid[1]?.message,
    "OPSKIT_ROLE is invalid: expected one of: api, worker, migrate, all.",
  );
  assert.equal(missing[0]?.example, undefined);
  assert.equal(missing[0]?.secret, true);

  const text = formatConfigReport(result.report, "text");
  assert.match(text, /^Configuration is invalid: 2 missing, 3 invalid, 2 unknown\./);
  assert.match(
    text,
    /Missing[^]*BAKERY_SHOP_SECRET[^]*Invalid[^]*PORT[^]*Unknown[^]*OPSKIT_SHUTDOWN_TIMOUT: did you mean OPSKIT_SHUTDOWN_TIMEOUT\?/,
  );
  assert.match(text, /expected: true or false \(also 1\/0, yes\/no, on\/off\)/);
  const json = formatConfigReport(result.report, "json");
  assert.equal(json.includes("\n"), false);
  const parsed = JSON.parse(json) as Record<string, unknown[]>;
  assert.equal(parsed.ok, false);
  assert.equal(parsed.code, "CONFIG_INVALID");
  assert.deepEqual(parsed.missing, missing);
  assert.deepEqual(parsed.invalid, invalid);
  assert.deepEqual(parsed.unknown, unknown);
});

test("unknown is only reported for the manifest's prefixes", () => {
  const result = loadConfig(manifest, { ...valid, HOME: "/root", PATH: "/bin", SHOP_X: "1" });
  assert.ok(result.ok);
  const baseOnly = loadConfig(baseManifest, { BAKERY_ANYTHING: "1", OPSKIT_NOPE: "1" });
  assert.ok(!baseOnly.ok);
  assert.deepEqual(
    baseOnly.report.unknown.map((p) => p.name),
    ["OPSKIT_NOPE"],
  );
});

test("allowUnknown passes with the unknown names returned for a warning", () => {
  const result = loadConfig(manifest, { ...valid, OPSKIT_LATER: "1" }, { allowUnknown: true });
  assert.ok(result.ok);
  assert.deepEqual(
    result.unknown.map((p) => p.name),
    ["OPSKIT_LATER"],
  );
});

test("an empty or blank value counts as unset: missing if required, else the default", () => {
  const result = loadConfig(manifest, { ...valid, BAKERY_BATCH: "", PORT: "   " });
  assert.ok(!result.ok);
  assert.deepEqual(
    result.report.missing.map((p) => p.name),
    ["BAKERY_BATCH"],
  );
  assert.deepEqual(result.report.invalid, []);
  const withDefault = loadConfig(manifest, { ...valid, PORT: "" });
  assert.ok(withDefault.ok);
  assert.equal(withDefault.config.PORT, 3000);
});

test("the config is frozen, and reading an undeclared name throws", () => {
  const result = loadConfig(manifest, { ...valid, BAKERY_STORES: "a,b" });
  assert.ok(result.ok);
  const config = result.config;
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as Record<string, unknown>).PORT = 1;
  }, TypeError);
  assert.equal(config.PORT, 3000);
  assert.throws(() => (config as Record<string, unknown>).PROT, {
    code: "CONFIG_MANIFEST_INVALID",
    message: /PROT is not declared/,
  });
  // Not env-style names pass through, so the object can be awaited and serialised.
  assert.equal((config as Record<string, unknown>).then, undefined);
  assert.equal((JSON.parse(JSON.stringify(config)) as { PORT: number }).PORT, 3000);
  assert.ok(Object.isFrozen(config.BAKERY_STORES));
});

test("requireConfig returns the config or throws CONFIG_INVALID naming the variables", () => {
  assert.equal(requireConfig(manifest, valid).BAKERY_BATCH, 10);
  assert.throws(
    () => requireConfig(manifest, { BAKERY_BATCH: "0" }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal((error as { code?: string }).code, "CONFIG_INVALID");
      assert.equal(
        error.message,
        "The configuration is invalid: missing BAKERY_SHOP_SECRET; invalid BAKERY_BATCH. Run `opskit config check` for the full report.",
      );
      return true;
    },
  );
  const report = { missing: [], invalid: [], unknown: [] };
  assert.deepEqual(configError(report).details, { report });
});
