import assert from "node:assert/strict";
import { test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { withJwksServer } from "../../test/jwks-server.js";
import { isOpskitError } from "../errors.js";
import { createJwtVerifier } from "./jwt-verifier.js";
import { jwksSource } from "./key-sources/jwks.js";

async function key(kid: string, alg: "ES256" | "EdDSA" = "ES256") {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

function sign(k: { kid: string; alg: string; privateKey: CryptoKey }) {
  return new SignJWT({ roles: ["viewer"] })
    .setProtectedHeader({ alg: k.alg, kid: k.kid })
    .setSubject("svc")
    .setAudience("bakery")
    .setExpirationTime("5m")
    .sign(k.privateKey);
}

test("a new kid refetches the JWKS once; a flood of unknown kids within the cooldown fetches no more", async () => {
  const k1 = await key("k1");
  const k2 = await key("k2", "EdDSA");
  await withJwksServer({ keys: [k1.jwk] }, async (server) => {
    let clock = 1_000_000;
    const jwks = jwksSource({ url: server.url, cooldownMs: 30_000, now: () => clock });
    const verifier = createJwtVerifier({ keys: [jwks], audience: "bakery" });
    await verifier.verify(await sign(k1));
    assert.equal(server.requests(), 1);
    // The provider rotates: publishes k2, then signs with it.
    server.setKeys({ keys: [k1.jwk, k2.jwk] });
    clock += 30_000;
    assert.equal((await verifier.verify(await sign(k2))).subject, "svc");
    assert.equal(server.requests(), 2, "one refetch for the new kid");
    const forged = await sign({ ...(await key("forged")), kid: "nope" });
    for (let i = 0; i < 20; i++) {
      await assert.rejects(verifier.verify(forged), (e) => isOpskitError(e, "UNAUTHORIZED"));
    }
    assert.equal(server.requests(), 2, "unknown kids within the cooldown do not refetch");
    clock += 30_000;
    await assert.rejects(verifier.verify(forged));
    assert.equal(server.requests(), 3, "after the cooldown one more fetch");
  });
});

test("with the JWKS endpoint down, cached keys still verify, readiness warns, and fetches respect the cooldown", async () => {
  const k1 = await key("k1");
  await withJwksServer({ keys: [k1.jwk] }, async (server) => {
    let clock = 1_000_000;
    const jwks = jwksSource({
      url: server.url,
      cacheMaxAgeMs: 60_000,
      cooldownMs: 30_000,
      now: () => clock,
    });
    const check = jwks.check();
    const verifier = createJwtVerifier({ keys: [jwks], audience: "bakery" });
    assert.equal((await check.run(AbortSignal.timeout(5_000)))?.status, undefined, "pass");
    server.setDown(true);
    clock += 61_000; // past the cache age: the next use refreshes and fails
    assert.equal((await check.run(AbortSignal.timeout(5_000)))?.status, "warn");
    const fetchesAfterFailure = server.requests();
    assert.equal((await verifier.verify(await sign(k1))).subject, "svc", "the cached key verifies");
    assert.equal((await check.run(AbortSignal.timeout(5_000)))?.status, "warn");
    assert.equal(server.requests(), fetchesAfterFailure, "no fetch within the cooldown");
    assert.match(jwks.status().lastError ?? "", /503/);
    server.setDown(false);
    clock += 30_000;
    assert.equal((await check.run(AbortSignal.timeout(5_000)))?.status, undefined, "recovered");
    assert.equal(jwks.status().lastError, undefined);
  });
});

test("with no key ever fetched, readiness fails and tokens get keys_unavailable", async () => {
  const k1 = await key("k1");
  await withJwksServer({ keys: [] }, async (server) => {
    server.setDown(true);
    const jwks = jwksSource({ url: server.url });
    const verifier = createJwtVerifier({ keys: [jwks], audience: "bakery" });
    assert.equal((await jwks.check().run(AbortSignal.timeout(5_000)))?.status, "fail");
    await assert.rejects(
      verifier.verify(await sign(k1)),
      (e) => isOpskitError(e, "UNAUTHORIZED") && e.details?.reason === "keys_unavailable",
    );
  });
});

test("a symmetric key published in a JWKS is never used", async () => {
  const secret = new TextEncoder().encode("x".repeat(32));
  await withJwksServer(
    {
      keys: [
        { kty: "oct", k: Buffer.from(secret).toString("base64url"), kid: "oct", alg: "HS256" },
      ],
    },
    async (server) => {
      const jwks = jwksSource({ url: server.url });
      await jwks.refresh();
      assert.equal(jwks.status().keys, 0);
    },
  );
});
