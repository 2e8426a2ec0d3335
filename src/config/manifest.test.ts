import assert from "node:assert/strict";
import { test } from "node:test";
import { OpskitError } from "../errors.js";
import { baseManifest } from "./base-manifest.js";
import { defineManifest, extendManifest, isManifest } from "./manifest.js";
import { v } from "./v.js";

test("extendManifest merges variables in order and prefixes", () => {
  const extra = defineManifest({
    prefixes: ["BAKERY_", "OPSKIT_"],
    vars: { BAKERY_STORES: v.list({ description: "Stores." }) },
  });
  const merged = extendManifest(baseManifest, extra);
  const names = Object.keys(merged.vars);
  assert.equal(names[0], "DATABASE_URL");
  assert.equal(names.at(-1), "BAKERY_STORES");
  assert.equal(names.length, Object.keys(baseManifest.vars).length + 1);
  assert.deepEqual(merged.prefixes, ["OPSKIT_", "BAKERY_"]);
  assert.ok(isManifest(merged));
  assert.ok(Object.isFrozen(merged) && Object.isFrozen(merged.vars));
});

test("a name declared in both manifests is an error at definition time", () => {
  const clash = defineManifest({
    vars: {
      PORT: v.port({ default: 8080, description: "Another port." }),
      LOG_LEVEL: v.string({ description: "Mine." }),
    },
  });
  assert.throws(
    () => extendManifest(baseManifest, clash),
    (error: unknown) =>
      error instanceof OpskitError &&
      error.code === "CONFIG_MANIFEST_INVALID" &&
      /Declared in both manifests: PORT, LOG_LEVEL/.test(error.message),
  );
});

test("the same declaration reached twice is not a clash (a manifest extended again)", () => {
  const extra = defineManifest({ vars: { BAKERY_X: v.string({ description: "x" }) } });
  const once = extendManifest(baseManifest, extra);
  const twice = extendManifest(baseManifest, once);
  assert.deepEqual(Object.keys(twice.vars), Object.keys(once.vars));
});

test("defineManifest reports every bad declaration at once", () => {
  assert.throws(
    () =>
      defineManifest({
        prefixes: ["BAD-"],
        vars: {
          NO_DESCRIPTION: v.string(),
          BAD_DEFAULT: v.port({ default: 99999, description: "p" }),
          "1BAD": v.string({ description: "n" }),
          NOT_A_VAR: { kind: "string" } as never,
        },
      }),
    (error: unknown) => {
      assert.ok(error instanceof OpskitError);
      assert.equal(error.code, "CONFIG_MANIFEST_INVALID");
      assert.deepEqual(error.details?.problems, [
        'prefix "BAD-" is not the start of an env name',
        "NO_DESCRIPTION: it has no description",
        "BAD_DEFAULT: its default is not valid: expected a port number from 0 to 65535 (0 picks a free port)",
        '"1BAD" is not a valid env name (letters, digits, _; not starting with a digit)',
        "NOT_A_VAR: declare it with a v.*() builder",
      ]);
      return true;
    },
  );
});

test("isManifest recognises manifests only", () => {
  assert.ok(isManifest(baseManifest));
  assert.equal(isManifest({ prefixes: [], vars: {} }), false);
  assert.equal(isManifest(null), false);
});
