import assert from "node:assert/strict";
import { test } from "node:test";
import { createRedactor, MIN_SECRET_LENGTH, redact, REDACTED } from "./redactor.js";

const SECRET = "s3cr3t-v4lue";

test("values under secret keys are replaced at any depth, in arrays, whatever the key's case", () => {
  const input = {
    user: "ann",
    headers: { AuThOrIzAtIoN: "Bearer abc", "X-Api-Key": "k1", accept: "json" },
    items: [{ clientSecret: "cs" }, { nested: [{ Private_Key: { pem: "----" } }] }],
    password: 1234,
    token: null,
  };
  assert.deepEqual(redact(input), {
    user: "ann",
    headers: { AuThOrIzAtIoN: REDACTED, "X-Api-Key": REDACTED, accept: "json" },
    items: [{ clientSecret: REDACTED }, { nested: [{ Private_Key: REDACTED }] }],
    password: REDACTED,
    token: null,
  });
});

test("extra secret keys are honoured", () => {
  const redactor = createRedactor({ keys: ["x-shopify-hmac-sha256"] });
  assert.deepEqual(redactor.redact({ X_Shopify_Hmac_Sha256: "sig", topic: "orders/create" }), {
    X_Shopify_Hmac_Sha256: REDACTED,
    topic: "orders/create",
  });
});

test("secret values are masked inside every string, in keys too, and URL passwords always", () => {
  const out = redact(
    {
      note: `the key is ${SECRET}!`,
      list: ["x", `${SECRET}${SECRET}`],
      deep: { deeper: { url: "postgres://app:not-registered@db/app" } },
      [`by-${SECRET}`]: 1,
    },
    [SECRET],
  );
  assert.deepEqual(out, {
    note: `the key is ${REDACTED}!`,
    list: ["x", `${REDACTED}${REDACTED}`],
    deep: { deeper: { url: "postgres://app:***@db/app" } },
    [`by-${REDACTED}`]: 1,
  });
  assert.equal(redact(`plain ${SECRET}`, [SECRET]), `plain ${REDACTED}`);
});

test("a secret that contains another is masked whole", () => {
  assert.equal(redact("x abcdef-long y", ["abcd", "abcdef-long"]), `x ${REDACTED} y`);
});

test(`secret values shorter than ${MIN_SECRET_LENGTH} characters are ignored`, () => {
  assert.equal(redact("on and 1 and off", ["on", "1", "off"]), "on and 1 and off");
});

test("errors become plain objects with type, message, code, custom fields, stack and causes, all redacted", () => {
  class PaymentError extends Error {
    get code() {
      return "PAY_FAILED";
    }
  }
  const root = Object.assign(new TypeError(`socket closed (key ${SECRET})`), {
    apiKey: "k-123",
    attempt: 3,
  });
  const middle = new PaymentError("payment failed", { cause: root });
  const top = Object.assign(new Error(`checkout failed for ${SECRET}`, { cause: middle }), {
    code: "E_CHECKOUT",
    details: { accessToken: "tok", order: 7 },
  });
  const out = redact({ err: top }, [SECRET]) as { err: Record<string, unknown> };
  const err = out.err;
  assert.equal(err.type, "Error");
  assert.equal(err.message, `checkout failed for ${REDACTED}`);
  assert.equal(err.code, "E_CHECKOUT");
  assert.deepEqual(err.details, { accessToken: REDACTED, order: 7 });
  assert.match(err.stack as string, /^Error: checkout failed for \[REDACTED\]\n\s+at /);
  const cause = err.cause as Record<string, unknown>;
  assert.equal(cause.type, "PaymentError");
  assert.equal(cause.code, "PAY_FAILED");
  const rootCause = cause.cause as Record<string, unknown>;
  assert.equal(rootCause.type, "TypeError");
  assert.equal(rootCause.message, `socket closed (key ${REDACTED})`);
  assert.equal(rootCause.apiKey, REDACTED);
  assert.equal(rootCause.attempt, 3);
  assert.doesNotMatch(JSON.stringify(out), new RegExp(SECRET));
});

test("an AggregateError keeps its errors, and a cause cycle is cut", () => {
  const looped = new Error("loop");
  looped.cause = looped;
  const aggregate = new AggregateError([new Error(`first ${SECRET}`), looped], "all failed");
  const out = redact(aggregate, [SECRET]) as Record<string, unknown>;
  const errors = out.errors as Record<string, unknown>[];
  assert.equal(errors[0]?.message, `first ${REDACTED}`);
  assert.equal(errors[1]?.cause, "[Circular]");
});

test("objects with toJSON and class instances are redacted by what they would print", () => {
  class Connection {
    host = "db";
    password = "pw";
  }
  const out = redact({
    url: new URL("postgres://app:pw-in-url@db:5432/app"),
    connection: new Connection(),
    when: new Date(0),
  }) as Record<string, unknown>;
  assert.equal(out.url, "postgres://app:***@db:5432/app");
  assert.deepEqual(out.connection, { host: "db", password: REDACTED });
  assert.deepEqual(out.when, new Date(0));
});

test("the caller's objects are never modified, and unchanged parts are shared", () => {
  const clean = { a: 1, b: ["x"] };
  const error = Object.assign(new Error(`bad ${SECRET}`), { token: "t" });
  const input = { clean, headers: { cookie: "c=1" }, error, text: SECRET };
  const out = redact(input, [SECRET]) as Record<string, unknown>;
  assert.equal(input.headers.cookie, "c=1");
  assert.equal(input.text, SECRET);
  assert.equal(error.message, `bad ${SECRET}`);
  assert.equal(error.token, "t");
  assert.equal(out.clean, clean);
  assert.equal(redact(clean), clean);
});

test("cycles are cut, shared references are not mistaken for cycles", () => {
  const shared = { password: "pw" };
  const node: Record<string, unknown> = { name: "root", left: shared, right: shared };
  node.self = node;
  node.list = [node];
  const out = redact(node) as Record<string, unknown>;
  assert.equal(out.self, "[Circular]");
  assert.deepEqual(out.list, ["[Circular]"]);
  assert.deepEqual(out.left, { password: REDACTED });
  assert.deepEqual(out.right, { password: REDACTED });
  assert.doesNotThrow(() => JSON.stringify(out));
});

test("a very deep structure is cut instead of overflowing the stack", () => {
  let deep: Record<string, unknown> = { password: "pw" };
  for (let i = 0; i < 20_000; i++) deep = { next: deep };
  const out = JSON.stringify(redact(deep));
  assert.match(out, /\[Too deep\]/);
  assert.doesNotMatch(out, /"pw"/);
});

test("a __proto__ key from parsed JSON stays a field", () => {
  const input = JSON.parse('{"__proto__":{"note":"s3cr3t-v4lue"}}') as object;
  const out = redact(input, [SECRET]);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(JSON.stringify(out), `{"__proto__":{"note":"${REDACTED}"}}`);
});

test("secrets can be added and replaced on a redactor", () => {
  const redactor = createRedactor({ secrets: ["first-secret"] });
  redactor.addSecrets(["second-secret"]);
  assert.equal(redactor.redactString("first-secret second-secret"), `${REDACTED} ${REDACTED}`);
  redactor.setSecrets(["third-v4lue"]);
  assert.equal(redactor.redactString("first-secret third-v4lue"), `first-secret ${REDACTED}`);
  // Key classification is cached; it must follow the new secrets.
  assert.deepEqual(redactor.redact({ "third-v4lue": 1 }), { [REDACTED]: 1 });
});
