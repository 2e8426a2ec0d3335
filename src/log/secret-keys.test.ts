import assert from "node:assert/strict";
import { test } from "node:test";
import { createSecretKeyMatcher, isSecretKey, normalizeKey } from "./secret-keys.js";

test("secret keys match whatever the case and the -/_ spelling", () => {
  for (const key of [
    "authorization",
    "AuThOrIzAtIoN",
    "Set-Cookie",
    "set_cookie",
    "X-Api-Key",
    "x_api_key",
    "xApiKey",
    "apikey",
    "API-KEY",
    "clientSecret",
    "CLIENT_SECRET",
    "private_key",
    "privateKey",
    "refresh_token",
    "idToken",
    "PWD",
    "session",
    "credentials",
  ]) {
    assert.equal(isSecretKey(key), true, key);
  }
});

test("keys that end in a secret word match too; ordinary keys do not", () => {
  for (const key of [
    "dbPassword",
    "stripe_api_key",
    "webhookSecret",
    "csrf-token",
    "awsSecretAccessKey",
  ]) {
    assert.equal(isSecretKey(key), true, key);
  }
  for (const key of [
    "orderId",
    "user",
    "tokenCount",
    "sessionCount",
    "secretName",
    "cwd",
    "status",
  ]) {
    assert.equal(isSecretKey(key), false, key);
  }
});

test("extra keys are matched in the same normalised form", () => {
  const matches = createSecretKeyMatcher(["X-Shopify-Hmac-Sha256"]);
  assert.equal(matches("x_shopify_hmac_sha256"), true);
  assert.equal(matches("password"), true);
  assert.equal(isSecretKey("x-shopify-hmac-sha256"), false);
  assert.equal(normalizeKey("X-Api_Key"), "xapikey");
});
