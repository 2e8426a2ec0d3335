// A known token goes into the failure path of every validator, and into a
// secret URL; it must not come out of anything the config module prints or throws.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { z } from "zod";
import { OpskitError } from "../errors.js";
import { baseManifest } from "./base-manifest.js";
import { formatConfigReport } from "./config-report.js";
import { checkEnvExample } from "./env-example.js";
import { loadConfigOrExit } from "./load-config-or-exit.js";
import { loadConfig, requireConfig } from "./load-config.js";
import { defineManifest, extendManifest } from "./manifest.js";
import { v } from "./v.js";
import { parseDuration } from "./vars/duration.js";

const TOKEN = "S3cretTok3n9f8e7d";
const HEX_TOKEN = "c0ffee15bad5eed0"; // valid hex, 8 bytes: too short
const TOKENS = [TOKEN, HEX_TOKEN];

const service = defineManifest({
  prefixes: ["BAKERY_"],
  vars: {
    BAKERY_COUNT: v.int({ min: 1, max: 10, description: "A count." }),
    BAKERY_HOOK_URL: v.url({ protocols: ["https"], description: "Where to post." }),
    BAKERY_MODE: v.enum(["a", "b"], { description: "A mode." }),
    BAKERY_DRY_RUN: v.bool({ description: "Dry run." }),
    BAKERY_TTL: v.duration({ description: "A duration." }),
    BAKERY_HEX_KEY: v.secret({ encoding: "hex", minBytes: 32, description: "A hex key." }),
    BAKERY_B64_KEY: v.secret({ encoding: "base64", minBytes: 32, description: "A base64 key." }),
    BAKERY_PORTS: v.list({ item: v.port(), description: "Ports." }),
    BAKERY_TOKENS: v.list({ secret: true, minItems: 3, description: "Secret tokens." }),
    BAKERY_CODE: v.custom({
      // A schema whose own message quotes the value: it must not be shown.
      schema: z
        .string()
        .refine((s) => s.startsWith("ok-"), { error: (i) => `bad ${String(i.input)}` }),
      type: "code",
      expected: "a code starting with ok-",
      description: "A code.",
    }),
    BAKERY_STRICT: v.custom({
      schema: z.string().transform((s): string => {
        throw new Error(`cannot use ${s}`);
      }),
      type: "strict",
      expected: "anything",
      description: "Throws on every value.",
    }),
  },
});
const manifest = extendManifest(baseManifest, service);

const env = {
  PORT: TOKEN,
  OPSKIT_ROLE: TOKEN,
  OPSKIT_SHUTDOWN_TIMEOUT: `${TOKEN}s`,
  OPSKIT_DB_POOL_MAX: `12${TOKEN}`,
  DATABASE_URL: `mysql://u:${TOKEN}@h/db`,
  BAKERY_COUNT: TOKEN,
  BAKERY_HOOK_URL: `postgres://u:${TOKEN}@h/db`,
  BAKERY_MODE: TOKEN,
  BAKERY_DRY_RUN: TOKEN,
  BAKERY_TTL: TOKEN,
  BAKERY_HEX_KEY: HEX_TOKEN,
  BAKERY_B64_KEY: `${TOKEN}!`,
  BAKERY_PORTS: `80,${TOKEN},443`,
  BAKERY_TOKENS: `${TOKEN},x`,
  BAKERY_CODE: TOKEN,
  BAKERY_STRICT: TOKEN,
  OPSKIT_TYPO: TOKEN,
};

function assertClean(label: string, text: string) {
  for (const token of TOKENS) {
    assert.equal(text.includes(token), false, `${label} echoes a secret:\n${text}`);
  }
}

function assertCleanError(label: string, error: unknown) {
  assert.ok(error instanceof Error, label);
  assertClean(`${label} message`, error.message);
  assertClean(`${label} String()`, String(error));
  assertClean(`${label} JSON`, JSON.stringify(error));
  assertClean(`${label} inspect`, inspect(error, { depth: 10 }));
}

test("no report, error or drift message echoes an invalid value", () => {
  const result = loadConfig(manifest, env);
  assert.ok(!result.ok);
  const invalid = result.report.invalid.map((p) => p.name).sort();
  const expected = Object.keys(env)
    .filter((name) => name !== "OPSKIT_TYPO")
    .sort();
  assert.deepEqual(invalid, expected, "every injected variable is reported invalid");
  assert.deepEqual(
    result.report.unknown.map((p) => p.name),
    ["OPSKIT_TYPO"],
  );
  assertClean("text report", formatConfigReport(result.report, "text"));
  assertClean("JSON report", formatConfigReport(result.report, "json"));

  let thrown: unknown;
  try {
    requireConfig(manifest, env);
  } catch (error) {
    thrown = error;
  }
  assertCleanError("requireConfig", thrown);

  for (const json of [false, true]) {
    let written = "";
    assert.throws(() =>
      loadConfigOrExit(manifest, env, {
        json,
        stderr: { write: (text: string) => (written += text) },
        exit: () => {
          throw new Error("exit");
        },
      }),
    );
    assertClean(`loadConfigOrExit json=${json}`, written);
  }

  try {
    parseDuration(TOKEN);
  } catch (error) {
    thrown = error;
  }
  assertCleanError("parseDuration", thrown);
});

test("a valid secret URL next to an invalid variable is not shown either", () => {
  const result = loadConfig(baseManifest, {
    DATABASE_URL: `postgres://app:${TOKEN}@db.internal:5432/app`,
    PORT: "nope",
  });
  assert.ok(!result.ok);
  assertClean("text", formatConfigReport(result.report, "text"));
  assertClean("json", formatConfigReport(result.report, "json"));
});

test("definition errors do not echo a bad default or example", () => {
  let thrown: unknown;
  try {
    defineManifest({
      vars: {
        A: v.int({ default: TOKEN, description: "a" }),
        B: v.url({ example: `ftp:${TOKEN}`, description: "b" }),
        C: v.url({ secret: true, default: `postgres://u:${TOKEN}@h/db`, description: "c" }),
      },
    });
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof OpskitError);
  assert.equal(thrown.code, "CONFIG_MANIFEST_INVALID");
  assertCleanError("defineManifest", thrown);
});

test("the .env.example drift message hides committed secret values and URL passwords", () => {
  const file = [
    "BAKERY_HEX_KEY=" + HEX_TOKEN,
    "SOMETHING_ELSE=" + TOKEN,
    "BAKERY_HOOK_URL=https://u:" + TOKEN + "@hooks.example/x",
    "# a comment with postgres://app:" + TOKEN + "@db/app",
  ].join("\n");
  const drift = checkEnvExample(manifest, file);
  assert.equal(drift.ok, false);
  assert.deepEqual(drift.extraKeys, ["SOMETHING_ELSE"]);
  assert.match(drift.message, /BAKERY_HEX_KEY=<value hidden, 16 characters>/);
  assertClean("drift message", drift.message);
  assertClean("drift JSON", JSON.stringify(drift));
});
