/**
 * Auth and secrets per operation, each against its bare anchor in the same
 * run: ES256 and HS256 verification through opskit's verifier vs bare
 * `jose.jwtVerify` (fresh tokens each call, so the verdict cache does not
 * help opskit; plus the repeated-token case it exists for); a Hono route
 * through createHttpApp with the auth middleware and requireAuth() vs the
 * same route without (in-process `app.request`, so the route is as cheap as
 * it gets and the overhead as visible as it gets); AES-256-GCM
 * encrypt/decrypt of a 1 KiB value through the secret box vs bare
 * node:crypto. Interleaved rounds, medians.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import {
  authenticate,
  createJwtVerifier,
  hsSecretSource,
  requireAuth,
  type AuthEnv,
  type KeySource,
} from "../src/auth/index.js";
import { createHttpApp } from "../src/http/index.js";
import { createLogger } from "../src/log/index.js";
import { createKeyRing, createSecretBox } from "../src/secrets/index.js";
import type { Benchmark } from "./harness.js";
import { median, round, versions } from "./harness.js";

async function opsPerSecond(fn: () => unknown, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

const bench: Benchmark = async ({ quick }) => {
  const rounds = quick ? 3 : 7;
  const ms = quick ? 300 : 1000;
  const es = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(es.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const local = createLocalJWKSet({ keys: [jwk] });
  const localSource: KeySource = {
    kind: "jwks",
    algorithms: ["ES256"],
    getKey: (h, t) => local(h, t),
  };
  const secret = randomBytes(32);
  const opts = { audience: "bench" };
  const esVerifier = createJwtVerifier({ keys: [localSource], ...opts });
  const hsVerifier = createJwtVerifier({ keys: [hsSecretSource(secret)], ...opts });
  const mint = (alg: "ES256" | "HS256", i: number) =>
    new SignJWT({ roles: ["manager"] })
      .setProtectedHeader(alg === "ES256" ? { alg, kid: "k1" } : { alg })
      .setSubject(`u${i}`)
      .setAudience("bench")
      .setExpirationTime("1h")
      .sign(alg === "ES256" ? es.privateKey : secret);
  const pool = async (alg: "ES256" | "HS256") =>
    Promise.all(Array.from({ length: 20_000 }, (_, i) => mint(alg, i)));
  const esTokens = await pool("ES256");
  const hsTokens = await pool("HS256");
  let ei = 0;
  let hi = 0;
  const next = (list: string[], i: number) => list[i % list.length]!;

  const log = createLogger({ level: "silent" });
  const route = new Hono<AuthEnv>().get("/api/orders", (c) => c.json({ orders: [] }));
  const guarded = new Hono<AuthEnv>().get("/api/orders", requireAuth(), (c) =>
    c.json({ orders: [] }),
  );
  const plainApp = createHttpApp({ log, mounts: [{ path: "/", app: route }] });
  const authApp = createHttpApp({
    log,
    middleware: [authenticate({ verifier: hsVerifier, log })],
    mounts: [{ path: "/", app: guarded }],
  });
  const headers = { authorization: `Bearer ${hsTokens[0]}` };

  const ring = createKeyRing(`k1:${randomBytes(32).toString("base64")}`);
  const box = createSecretBox(ring);
  const key = randomBytes(32);
  const value = randomBytes(512).toString("hex"); // 1 KiB of text
  const place = { table: "stores", column: "api_key", id: 1 };
  const sealed = box.encrypt(value, place);
  const bareSeal = () => {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv);
    return Buffer.concat([iv, c.update(value), c.final(), c.getAuthTag()]);
  };
  const bareSealed = bareSeal();
  const bareOpen = () => {
    const d = createDecipheriv("aes-256-gcm", key, bareSealed.subarray(0, 12), {
      authTagLength: 16,
    });
    d.setAuthTag(bareSealed.subarray(bareSealed.length - 16));
    return Buffer.concat([d.update(bareSealed.subarray(12, -16)), d.final()]).toString();
  };

  const cases: Record<string, () => unknown> = {
    es256_opskit: () => esVerifier.verify(next(esTokens, ei++)),
    es256_jose: () =>
      jwtVerify(next(esTokens, ei++), local, {
        algorithms: ["ES256"],
        ...opts,
        requiredClaims: ["exp", "sub"],
      }),
    hs256_opskit: () => hsVerifier.verify(next(hsTokens, hi++)),
    hs256_jose: () =>
      jwtVerify(next(hsTokens, hi++), secret, {
        algorithms: ["HS256"],
        ...opts,
        requiredClaims: ["exp", "sub"],
      }),
    hs256_opskit_same_token: () => hsVerifier.verify(hsTokens[0]!),
    route_plain: () => plainApp.request("/api/orders"),
    route_auth: () => authApp.request("/api/orders", { headers }),
    encrypt_opskit: () => box.encrypt(value, place),
    encrypt_bare: bareSeal,
    decrypt_opskit: () => box.decrypt(sealed, place),
    decrypt_bare: bareOpen,
  };
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(cases).map((k) => [k, []]),
  );
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) samples[name]!.push(await opsPerSecond(fn, ms));
  }
  const med = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]),
  );
  const ratio = (a: string, b: string) => round(med[a]! / med[b]!, 3);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return {
    table: Object.entries(med).map(([name, ops]) => ({ case: name, ops_per_s: ops })),
    figures: { medians_ops_per_s: med, samples, rounds, round_ms: ms, loadavg: load },
    ratios: {
      es256_opskit_vs_jose: ratio("es256_opskit", "es256_jose"),
      hs256_opskit_vs_jose: ratio("hs256_opskit", "hs256_jose"),
      route_auth_vs_plain: ratio("route_auth", "route_plain"),
      encrypt_opskit_vs_bare: ratio("encrypt_opskit", "encrypt_bare"),
      decrypt_opskit_vs_bare: ratio("decrypt_opskit", "decrypt_bare"),
    },
    versions: versions(["jose", "hono"]),
  };
};

export default bench;
