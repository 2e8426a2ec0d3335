import assert from "node:assert/strict";
import { test } from "node:test";
import { safeErrorMessage } from "./safe-message.js";

test("the default sanitize masks URL credentials (opskit/log's maskUrlCredentials)", () => {
  const error = new Error("cannot reach postgres://app:s3cret@db:5432/x");
  assert.equal(safeErrorMessage(error), "Error: cannot reach postgres://app:***@db:5432/x");
});

test("an errno code already in the message is not repeated", () => {
  const error = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:5432"), {
    code: "ECONNREFUSED",
  });
  assert.equal(safeErrorMessage(error), "connect ECONNREFUSED 10.0.0.7:5432");
});

test("an AggregateError with an empty message uses its first error's message", () => {
  const error = Object.assign(
    new AggregateError([new Error("connect ECONNREFUSED ::1:5432")], ""),
    {
      code: "ECONNREFUSED",
    },
  );
  assert.equal(safeErrorMessage(error), "connect ECONNREFUSED ::1:5432");
});

test("non-errors, long messages and multi-line messages stay one short line", () => {
  assert.equal(safeErrorMessage("plain string"), "Error: plain string");
  assert.equal(safeErrorMessage({ secret: "x" }), "Error: non-error thrown");
  const long = safeErrorMessage(new Error("x".repeat(1000)));
  assert.equal(long.length, 300);
  assert.ok(long.endsWith("…"));
  assert.equal(safeErrorMessage(new RangeError("first\nsecond")), "RangeError: first");
});
