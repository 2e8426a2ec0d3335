import assert from "node:assert/strict";
import { test } from "node:test";
import { isOpskitError } from "../errors.js";
import { createAuth } from "./create-auth.js";
import { mintDevelopmentToken } from "./development-tokens.js";

test("in development with no key, a minted token per role verifies through the service's auth", async () => {
  const config = { NODE_ENV: "development", OPSKIT_AUTH_ROLES_CLAIM: "app_metadata.roles" };
  const auth = createAuth(config);
  assert.equal(auth.mode, "development");
  const token = await mintDevelopmentToken(config, { roles: ["manager"] });
  const principal = await auth.verifier!.verify(token);
  assert.deepEqual(principal.roles, ["manager"]);
  assert.equal(principal.subject, "dev-manager");
  assert.ok(principal.expiresAt!.getTime() - Date.now() <= 3600_000);
});

test("development tokens are refused in production, and when a key is configured", async () => {
  await assert.rejects(
    mintDevelopmentToken({ NODE_ENV: "production" }, { roles: ["manager"] }),
    (e) => isOpskitError(e, "AUTH_CONFIG_INVALID") && /NODE_ENV/.test(e.message),
  );
  const keyed = { NODE_ENV: "development", OPSKIT_AUTH_JWT_SECRET: "k".repeat(40) };
  await assert.rejects(mintDevelopmentToken(keyed, { roles: ["x"] }), /A key is configured/);
  // …and a production service without a key accepts no development token.
  const token = await mintDevelopmentToken({ NODE_ENV: "development" }, { roles: ["admin"] });
  const prod = createAuth({ NODE_ENV: "production" });
  assert.equal(prod.mode, "none");
  assert.equal(prod.verifier, undefined);
  assert.ok(token);
});
