import assert from "node:assert/strict";
import { test } from "node:test";
import { baseManifest } from "./base-manifest.js";
import { loadConfig } from "./load-config.js";
import { defineManifest, extendManifest } from "./manifest.js";
import { secretValues } from "./secret-values.js";
import { v } from "./v.js";

const manifest = extendManifest(
  baseManifest,
  defineManifest({
    vars: {
      KEY: v.secret({ encoding: "hex", minBytes: 16, description: "k" }),
      TOKENS: v.list({ secret: true, optional: true, description: "t" }),
      CALLBACK: v.url({ optional: true, description: "not secret, but its password is" }),
      NAME: v.string({ default: "bakery", description: "n" }),
    },
  }),
);

test("secretValues lists secret values, list items, and every URL password (raw and decoded)", () => {
  const key = "0123456789abcdef".repeat(2);
  const result = loadConfig(manifest, {
    DATABASE_URL: "postgres://app:p%40ss@db.internal:5432/app",
    KEY: key,
    TOKENS: "tok-one, tok-two",
    CALLBACK: "https://hook:cbpass@example.com/x",
  });
  assert.ok(result.ok);
  assert.deepEqual(
    secretValues(manifest, result.config).sort(),
    [
      "cbpass",
      "p%40ss",
      "p@ss",
      "postgres://app:p%40ss@db.internal:5432/app",
      key,
      "tok-one",
      "tok-two",
    ].sort(),
  );
});

test("secretValues skips unset secrets and URLs without a password", () => {
  const result = loadConfig(manifest, { KEY: "ab".repeat(16), CALLBACK: "https://example.com" });
  assert.ok(result.ok);
  assert.deepEqual(secretValues(manifest, result.config), ["ab".repeat(16)]);
});
