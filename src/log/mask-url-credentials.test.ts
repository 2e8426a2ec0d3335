import assert from "node:assert/strict";
import { test } from "node:test";
import { maskUrlCredentials } from "./mask-url-credentials.js";

test("the password of a URL with userinfo is masked, the user kept", () => {
  assert.equal(
    maskUrlCredentials("cannot reach postgres://app:hunter2@db:5432/app?sslmode=require"),
    "cannot reach postgres://app:***@db:5432/app?sslmode=require",
  );
  assert.equal(maskUrlCredentials("REDIS://:pw123@cache:6379"), "REDIS://:***@cache:6379");
});

test("every URL in the text is masked, including token-only userinfo", () => {
  assert.equal(
    maskUrlCredentials("a postgres://u:p1@h1/x b https://ghp_tok123@github.com/o/r.git c"),
    "a postgres://u:***@h1/x b https://***@github.com/o/r.git c",
  );
});

test("a raw @ inside the password is masked whole", () => {
  assert.equal(maskUrlCredentials("postgres://app:p@ss@word@db/app"), "postgres://app:***@db/app");
});

test("text without URL credentials is returned unchanged", () => {
  for (const text of [
    "no url here: ann@example.com",
    "https://example.com/path?email=ann@example.com",
    "https://example.com/users/@ann",
    "",
  ]) {
    assert.equal(maskUrlCredentials(text), text);
  }
});
