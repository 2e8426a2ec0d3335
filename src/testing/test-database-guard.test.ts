import assert from "node:assert/strict";
import { test } from "node:test";
import { assertTestDatabase, looksLikeTestDatabase } from "./test-database-guard.js";

test("a test server is one on this machine or one named for tests", () => {
  for (const url of [
    "postgres://u:p@127.0.0.1:5432/app",
    "postgres://u:p@localhost/app",
    "postgres://u:p@[::1]:5432/app",
    "postgres://u:p@db.internal:5432/app_test",
    "postgres://ci_test_user:p@db.internal:5432/app",
  ])
    assert.equal(looksLikeTestDatabase(url), true, url);
  for (const url of ["postgres://u:p@db.prod.internal:5432/app", "not a url"])
    assert.equal(looksLikeTestDatabase(url), false, url);
});

test("a production-looking URL is refused without echoing its password, unless allowed", () => {
  const url = "postgres://app:Sup3rSecret@db.prod.internal:5432/orders";
  assert.throws(
    () => assertTestDatabase(url, { env: {} }),
    (error: Error) =>
      /db\.prod\.internal\/orders/.test(error.message) && !error.message.includes("Sup3rSecret"),
  );
  assert.doesNotThrow(() => assertTestDatabase(url, { allow: true, env: {} }));
  assert.doesNotThrow(() =>
    assertTestDatabase(url, { env: { OPSKIT_TESTING_ALLOW_ANY_DATABASE: "1" } }),
  );
});
