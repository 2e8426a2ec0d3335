import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { defineErrorCodes, ERROR_CODES, OpskitError, toError } from "./errors.js";

test("docs/errors.md lists exactly the catalogue's codes with the same HTTP status", async () => {
  const doc = await readFile(new URL("../docs/errors.md", import.meta.url), "utf8");
  const documented = new Map(
    [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]),
  );
  const catalogue = new Map(Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status]));
  assert.deepEqual(Object.fromEntries(documented), Object.fromEntries(catalogue));
});

const serviceErrors = defineErrorCodes({
  INVALID_STAGE: { status: 409, summary: "A stage change out of order was refused." },
});

test("OpskitError carries code, status from the catalogue (a service's registered one too), and cause", () => {
  const cause = new Error("root");
  const error = serviceErrors.error("INVALID_STAGE", "nope", { cause });
  assert.equal(error.code, "INVALID_STAGE");
  assert.equal(error.status, 409);
  assert.equal(error.cause, cause);
  assert.ok(error instanceof Error);
});

test("toError turns anything thrown into an Error", () => {
  assert.equal(toError("boom").message, "boom");
  assert.match(toError({ a: 1 }).message, /"a":1/);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.match(toError(circular).message, /not serialisable/);
});

test("a service's error codes cannot take a toolkit code or redefine one", () => {
  assert.throws(
    () => defineErrorCodes({ NOT_FOUND: { status: 410, summary: "gone" } }),
    /NOT_FOUND is already defined/,
  );
  assert.throws(
    () => defineErrorCodes({ INVALID_STAGE: { status: 400, summary: "other" } }),
    /already defined/,
  );
  assert.throws(
    () => defineErrorCodes({ "lower-case": { status: 400, summary: "x" } }),
    /UPPER_SNAKE/,
  );
  assert.throws(() => defineErrorCodes({ TEAPOT: { status: 200, summary: "x" } }), /400 to 599/);
  assert.equal(new OpskitError("JOB_NOT_FOUND", "x").status, 404);
});
