import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { formatDuration, parseDuration } from "./vars/duration.js";
import { v } from "./v.js";
import type { Var } from "./var.js";

function accepts<T>(declared: Var<T>, text: string, expected: T) {
  const result = declared.parse(text);
  assert.ok(result.ok, `${declared.kind} should accept ${JSON.stringify(text)}`);
  assert.deepEqual(result.value, expected);
}

function rejects(declared: Var, text: string, detail?: string) {
  const result = declared.parse(text);
  assert.equal(result.ok, false, `${declared.kind} should reject ${JSON.stringify(text)}`);
  if (detail !== undefined && !result.ok) assert.equal(result.detail, detail);
}

test("string accepts any text", () => {
  accepts(v.string(), "0.0.0.0", "0.0.0.0");
  assert.equal(v.string().expected, "any non-empty text");
});

test("int accepts decimal integers in range and rejects fractions, exponents, hex, out of range", () => {
  const declared = v.int({ min: 1, max: 1000 });
  accepts(declared, "1", 1);
  accepts(declared, "1000", 1000);
  accepts(declared, "+42", 42);
  accepts(v.int(), "-12", -12);
  for (const text of ["0", "1001", "1.5", "1e3", "0x10", "ten", "10 ", "99999999999999999999"]) {
    rejects(declared, text);
  }
  assert.equal(declared.expected, "an integer from 1 to 1000");
  assert.equal(v.int({ min: 1 }).expected, "an integer of at least 1");
  assert.equal(v.int({ max: 5 }).expected, "an integer of at most 5");
});

test("port accepts 0 to 65535", () => {
  accepts(v.port(), "0", 0);
  accepts(v.port(), "65535", 65535);
  for (const text of ["65536", "-1", "80.0", "http"]) rejects(v.port(), text);
});

test("url accepts absolute URLs of the listed schemes only", () => {
  const declared = v.url({ protocols: ["postgres", "postgresql"] });
  accepts(declared, "postgres://app:pw@db:5432/app", "postgres://app:pw@db:5432/app");
  accepts(declared, "postgresql://db/app", "postgresql://db/app");
  for (const text of ["mysql://db/app", "postgres:db", "db:5432/app", "postgres//db"]) {
    rejects(declared, text);
  }
  accepts(v.url(), "https://example.com/hook", "https://example.com/hook");
  rejects(v.url(), "example.com");
  assert.equal(declared.expected, "a URL starting with postgres:// or postgresql://");
});

test("enum accepts exactly its values (case-sensitive)", () => {
  const declared = v.enum(["api", "worker"]);
  accepts(declared, "api", "api");
  accepts(declared, "worker", "worker");
  for (const text of ["API", "all", "api,worker"]) rejects(declared, text);
  assert.equal(declared.expected, "one of: api, worker");
});

test("bool accepts true/false/1/0/yes/no/on/off in any case and nothing else", () => {
  const declared = v.bool();
  for (const text of ["true", "TRUE", "1", "yes", "Yes", "on", "ON"]) accepts(declared, text, true);
  for (const text of ["false", "False", "0", "no", "NO", "off", "Off"]) {
    accepts(declared, text, false);
  }
  for (const text of ["y", "n", "enabled", "disabled", "2", "truee", "t", "f", "-1"]) {
    rejects(declared, text);
  }
});

test("duration accepts ms, s, m, h and bare milliseconds; the value is milliseconds", () => {
  const declared = v.duration();
  accepts(declared, "500ms", 500);
  accepts(declared, "5s", 5_000);
  accepts(declared, "2m", 120_000);
  accepts(declared, "1h", 3_600_000);
  accepts(declared, "250", 250);
  for (const text of ["5", "0"]) accepts(declared, text, Number(text));
  for (const text of ["1.5s", "5 s", "-5s", "5d", "5S", "s", "ms5", "five"])
    rejects(declared, text);
  assert.equal(parseDuration(" 30s "), 30_000);
  assert.throws(() => parseDuration("soon"), { code: "CONFIG_INVALID" });
  for (const ms of [0, 1, 500, 1_000, 1_500, 60_000, 90_000, 3_600_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
  assert.equal(formatDuration(25_000), "25s");
  assert.equal(formatDuration(1_500), "1500ms");
});

test("hex secret needs valid hex of at least minBytes; the failure gives only a length", () => {
  const declared = v.secret({ encoding: "hex", minBytes: 32 });
  accepts(declared, "ab".repeat(32), "ab".repeat(32));
  accepts(declared, "AB".repeat(40), "AB".repeat(40));
  rejects(declared, "ab".repeat(20), "got 20 bytes");
  rejects(declared, "zz".repeat(32), "not valid hex");
  rejects(declared, "a".repeat(65), "an odd number of hex characters");
  assert.equal(declared.secret, true);
  assert.equal(declared.expected, "a hex-encoded secret of at least 32 bytes (64 hex characters)");
});

test("base64 secrets need valid base64 (or base64url) of at least minBytes", () => {
  const b64 = v.secret({ encoding: "base64", minBytes: 16 });
  accepts(b64, Buffer.alloc(16, 7).toString("base64"), Buffer.alloc(16, 7).toString("base64"));
  rejects(b64, Buffer.alloc(8, 7).toString("base64"), "got 8 bytes");
  rejects(b64, "not base64!!", "not valid base64");
  const url = v.secret({ encoding: "base64url", minBytes: 16 });
  const value = Buffer.alloc(16, 255).toString("base64url");
  accepts(url, value, value);
  rejects(url, Buffer.alloc(16, 255).toString("base64"));
});

test("list splits on commas, trims, drops empty items and checks each item", () => {
  accepts(v.list(), " a.myshopify.com , ,b.myshopify.com,", ["a.myshopify.com", "b.myshopify.com"]);
  const ports = v.list({ item: v.port() });
  accepts(ports, "80, 443", [80, 443]);
  rejects(ports, "80,http,443", "item 2 of 3 is not valid");
  assert.equal(
    ports.expected,
    "a comma-separated list, each item a port number from 0 to 65535 (0 picks a free port)",
  );
  rejects(v.list({ minItems: 2 }), "one", "got 1 items");
  const parsed = v.list().parse("a,b");
  assert.ok(parsed.ok && Object.isFrozen(parsed.value));
});

test("custom parses with a zod schema and says only its own expected text", () => {
  const declared = v.custom({
    schema: z.email(),
    type: "email",
    expected: "an email address",
    description: "Where alerts go.",
  });
  accepts(declared, "ops@example.com", "ops@example.com");
  rejects(declared, "not-an-email");
  assert.equal(declared.expected, "an email address");
  const throwing = v.custom({
    schema: z.string().transform((text): number => {
      throw new Error(`cannot use ${text}`);
    }),
    type: "thrower",
    expected: "anything that does not throw",
  });
  rejects(throwing, "value");
});

test("typed and env-text defaults are both checked and stored parsed", () => {
  assert.equal(v.duration({ default: "5s" }).default, 5_000);
  assert.equal(v.duration({ default: 5_000 }).defaultText, "5s");
  assert.deepEqual(v.list({ default: ["a", "b"] }).default, ["a", "b"]);
  assert.deepEqual(v.list({ item: v.int(), default: "1, 2" }).default, [1, 2]);
  assert.deepEqual(v.port({ default: 70000 }).problems, [
    "its default is not valid: expected a port number from 0 to 65535 (0 picks a free port)",
  ]);
  assert.deepEqual(v.int({ example: "ten" }).problems, [
    "its example is not valid: expected an integer",
  ]);
  assert.deepEqual(v.url({ secret: true, default: "postgres://localhost/dev" }).problems, [
    "a secret cannot have a default (a value in code is not a secret)",
  ]);
  assert.deepEqual(v.int({ min: 5, max: 1 }).problems, ["its min (5) is above its max (1)"]);
});

test("presence follows default and optional", () => {
  assert.equal(v.string().presence, "required");
  assert.equal(v.string({ optional: true }).presence, "optional");
  assert.equal(v.string({ default: "x" }).presence, "default");
  assert.equal(v.string({ optional: true, default: "x" }).presence, "default");
});
