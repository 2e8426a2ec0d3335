import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { exportJWK, SignJWT, type JWTPayload } from "jose";
import { isOpskitError } from "../errors.js";
import { createJwtVerifier, type JwtVerifierOptions } from "./jwt-verifier.js";
import { hsSecretSource } from "./key-sources/hs-secret.js";
import { jwksSource } from "./key-sources/jwks.js";
import { withJwksServer } from "../../test/jwks-server.js";

const SECRET = "a-supabase-style-secret-of-plenty-bytes-0123456789";
const base = { issuer: "https://issuer.test", audience: "bakery" } as const;

function hs(payload: JWTPayload, secret: string | Uint8Array = SECRET, alg = "HS256") {
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  let jwt = new SignJWT(payload).setProtectedHeader({ alg }).setIssuedAt();
  if (payload.exp === undefined) jwt = jwt.setExpirationTime("5m");
  return jwt.sign(key);
}

const good: JWTPayload = { sub: "ada", iss: base.issuer, aud: base.audience, roles: ["manager"] };

async function reason(
  verifier: ReturnType<typeof createJwtVerifier>,
  token: string,
): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (thrown) {
    assert.ok(isOpskitError(thrown, "UNAUTHORIZED"), `not UNAUTHORIZED: ${String(thrown)}`);
    assert.equal(thrown.status, 401);
    return String(thrown.details?.reason);
  }
  throw new Error("the token was accepted");
}

function hsVerifier(extra: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({ keys: [hsSecretSource(SECRET)], ...base, ...extra });
}

test("a valid HS256 token gives the subject, the roles from the claim and the expiry", async () => {
  const principal = await hsVerifier().verify(await hs(good));
  assert.equal(principal.subject, "ada");
  assert.deepEqual(principal.roles, ["manager"]);
  assert.equal(principal.scheme, "bearer");
  assert.ok(principal.expiresAt! > new Date());
});

test("roles are read at a dotted claim path (Supabase app_metadata)", async () => {
  const verifier = hsVerifier({ rolesClaim: "app_metadata.roles" });
  const token = await hs({ ...good, roles: undefined, app_metadata: { roles: ["baker"] } });
  assert.deepEqual((await verifier.verify(token)).roles, ["baker"]);
});

test("an expired token is refused, also within jose's default zero tolerance plus ours", async () => {
  const now = Math.floor(Date.now() / 1000);
  assert.equal(await reason(hsVerifier(), await hs({ ...good, exp: now - 31 })), "expired");
  // 10 s late is inside the 30 s default tolerance.
  await hsVerifier().verify(await hs({ ...good, exp: now - 10 }));
  assert.equal(
    await reason(hsVerifier({ clockToleranceSeconds: 0 }), await hs({ ...good, exp: now - 10 })),
    "expired",
  );
});

test("a token without exp is refused (jose accepts it by default)", async () => {
  const token = await new SignJWT(good)
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
  assert.equal(await reason(hsVerifier(), token), "missing_exp");
});

test("a token without sub is refused", async () => {
  assert.equal(await reason(hsVerifier(), await hs({ ...good, sub: undefined })), "missing_sub");
});

test("wrong or missing aud and iss are refused once configured", async () => {
  assert.equal(await reason(hsVerifier(), await hs({ ...good, aud: "other" })), "wrong_audience");
  assert.equal(await reason(hsVerifier(), await hs({ ...good, aud: undefined })), "wrong_audience");
  assert.equal(
    await reason(hsVerifier(), await hs({ ...good, iss: "https://evil.test" })),
    "wrong_issuer",
  );
  assert.equal(await reason(hsVerifier(), await hs({ ...good, iss: undefined })), "wrong_issuer");
});

test("alg none is refused", async () => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 300;
  const token = `${part({ alg: "none", typ: "JWT" })}.${part({ ...good, exp })}.`;
  assert.equal(await reason(hsVerifier(), token), "alg_not_allowed");
});

test("a token signed with another secret, or tampered with, is refused", async () => {
  assert.equal(await reason(hsVerifier(), await hs(good, `${SECRET}-other`)), "bad_signature");
  const token = await hs(good);
  const [h, , s] = token.split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...good, roles: ["admin"], exp: 9e9 })).toString("base64url")}.${s}`;
  assert.equal(await reason(hsVerifier(), forged), "bad_signature");
  assert.equal(await reason(hsVerifier(), "not-a-jwt"), "malformed");
});

test("HS256 signed with the public key is refused: alone (alg not allowed) and beside a secret (bad signature)", async () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
  await withJwksServer({ keys: [jwk] }, async (server) => {
    const jwks = jwksSource({ url: server.url });
    const pem = publicKey.export({ type: "spki", format: "pem" });
    const confused = await hs(good, new TextEncoder().encode(String(pem)));
    const rsOnly = createJwtVerifier({ keys: [jwks], ...base });
    assert.equal(await reason(rsOnly, confused), "alg_not_allowed");
    const both = createJwtVerifier({ keys: [hsSecretSource(SECRET), jwks], ...base });
    assert.equal(await reason(both, confused), "bad_signature");
    // …while the real RS256 token verifies through the same verifier.
    const rs = await new SignJWT(good)
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setExpirationTime("5m")
      .sign(privateKey);
    assert.equal((await both.verify(rs)).subject, "ada");
  });
});

test("HS secrets under 32 bytes are refused without echoing them", () => {
  const short = "only-31-bytes-of-secret-text-xx";
  assert.equal(Buffer.byteLength(short), 31);
  assert.throws(
    () => hsSecretSource(short),
    (e: unknown) =>
      isOpskitError(e, "AUTH_CONFIG_INVALID") &&
      /31 bytes/.test(e.message) &&
      !e.message.includes(short),
  );
});

test("clock tolerance is bounded, and only asymmetric algorithms go with a JWKS, only HMAC ones with a secret", () => {
  assert.throws(() => hsVerifier({ clockToleranceSeconds: 3600 }), /clockToleranceSeconds/);
  assert.throws(
    () => jwksSource({ url: "https://x.test/jwks", algorithms: ["HS256"] }),
    /not allowed/,
  );
  assert.throws(() => hsSecretSource(SECRET, { algorithms: ["none" as "HS256"] }), /not an HMAC/);
});
