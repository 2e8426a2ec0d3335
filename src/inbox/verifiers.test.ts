import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { sign as githubSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { isOpskitError } from "../errors.js";
import type { Verification, Verifier } from "./verifier.js";
import {
  githubVerifier,
  hmacVerifier,
  shopifyVerifier,
  standardWebhooksVerifier,
  stripeVerifier,
  svixVerifier,
} from "./verifiers/index.js";

const NOW = 1_700_000_000_000;

function request(body: string | Buffer, headers: Record<string, string>, receivedAt = NOW) {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    header: (name: string) => lower.get(name.toLowerCase()),
    receivedAt,
  };
}

function verify(
  verifier: Verifier,
  body: string | Buffer,
  headers: Record<string, string>,
  at = NOW,
): Verification {
  return verifier.verify(request(body, headers, at));
}

function reason(outcome: Verification): string {
  return outcome.ok ? "ok" : outcome.reason;
}

/** The same JSON, re-serialised the way a body parser + JSON.stringify would. */
function reserialised(body: string): string {
  return JSON.stringify(JSON.parse(body));
}

// ---------------------------------------------------------------- GitHub

test("github: passes GitHub's published test vector", () => {
  const verifier = githubVerifier({ secrets: ["It's a Secret to Everybody"] });
  const outcome = verify(verifier, "Hello, World!", {
    "X-Hub-Signature-256":
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
  });
  assert.deepEqual(outcome, { ok: true, secretIndex: 0 });
});

test("github: accepts what @octokit/webhooks-methods signs; refuses wrong secret, re-serialised body, malformed", async () => {
  const body = '{"action": "opened",  "number": 7}';
  const signature = await githubSign("s3cret", body);
  const verifier = githubVerifier({ secrets: ["s3cret"] });
  assert.equal(reason(verify(verifier, body, { "x-hub-signature-256": signature })), "ok");
  assert.equal(
    reason(
      verify(githubVerifier({ secrets: ["wrong"] }), body, { "x-hub-signature-256": signature }),
    ),
    "bad_signature",
  );
  assert.equal(
    reason(verify(verifier, reserialised(body), { "x-hub-signature-256": signature })),
    "bad_signature",
  );
  assert.equal(reason(verify(verifier, body, {})), "missing_signature");
  // A truncated digest must not compare against a prefix.
  assert.equal(
    reason(verify(verifier, body, { "x-hub-signature-256": signature.slice(0, 20) })),
    "malformed_signature",
  );
  assert.equal(
    reason(verify(verifier, body, { "x-hub-signature-256": signature.replace("sha256=", "") })),
    "malformed_signature",
  );
  assert.deepEqual(verifier.dedupeKey, { header: "x-github-delivery" });
});

test("github: rotation accepts old and new secret, and says which matched; the old one removed fails", async () => {
  const body = '{"zen":"Keep it logically awesome."}';
  const oldSig = await githubSign("old-secret", body);
  const newSig = await githubSign("new-secret", body);
  const rotating = githubVerifier({ secrets: ["new-secret", "old-secret"] });
  assert.deepEqual(verify(rotating, body, { "x-hub-signature-256": oldSig }), {
    ok: true,
    secretIndex: 1,
  });
  assert.deepEqual(verify(rotating, body, { "x-hub-signature-256": newSig }), {
    ok: true,
    secretIndex: 0,
  });
  const rotated = githubVerifier({ secrets: ["new-secret"] });
  assert.equal(reason(verify(rotated, body, { "x-hub-signature-256": oldSig })), "bad_signature");
});

// ---------------------------------------------------------------- Shopify

// Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac SECRET -binary | base64
const SHOPIFY_BODY = '{"id":820982911946154508,"email":"jon@example.com","total_price":"12.50"}';
const SHOPIFY_NORTH_SIG = "cnD5WvwFOvNruOoVBEUjUxoALfEcDXS7s+CdyYfyxqs=";

test("shopify: a base64 HMAC of the raw body (vector from openssl), header name in any case", () => {
  const verifier = shopifyVerifier({ secrets: ["shpss_north_example_secret"] });
  assert.equal(
    reason(verify(verifier, SHOPIFY_BODY, { "X-Shopify-Hmac-SHA256": SHOPIFY_NORTH_SIG })),
    "ok",
  );
  assert.equal(
    reason(verify(verifier, SHOPIFY_BODY, { "x-shopify-hmac-sha256": SHOPIFY_NORTH_SIG })),
    "ok",
  );
  assert.equal(
    reason(
      verify(verifier, reserialised(SHOPIFY_BODY.replace(":", ": ")), {
        "x-shopify-hmac-sha256": SHOPIFY_NORTH_SIG,
      }),
    ),
    "bad_signature",
  );
  assert.equal(
    reason(
      verify(shopifyVerifier({ secrets: ["other"] }), SHOPIFY_BODY, {
        "x-shopify-hmac-sha256": SHOPIFY_NORTH_SIG,
      }),
    ),
    "bad_signature",
  );
  assert.equal(reason(verify(verifier, SHOPIFY_BODY, {})), "missing_signature");
  assert.equal(
    reason(verify(verifier, SHOPIFY_BODY, { "x-shopify-hmac-sha256": "not*base64" })),
    "malformed_signature",
  );
  assert.deepEqual(verifier.dedupeKey, { header: "x-shopify-webhook-id" });
  assert.deepEqual(shopifyVerifier({ secrets: ["x"], dedupeOn: "event-id" }).dedupeKey, {
    header: "x-shopify-event-id",
  });
  assert.deepEqual(verifier.topic, { header: "x-shopify-topic" });
});

test("shopify: per-shop secrets — each store's signature verifies only with its own secret", () => {
  const south = "shpss_south_example_secret";
  const southSig = createHmac("sha256", south).update(SHOPIFY_BODY).digest("base64");
  const verifier = shopifyVerifier({
    secrets: {
      "north.myshopify.com": ["shpss_north_example_secret"],
      "south.myshopify.com": [south],
    },
  });
  const as = (shop: string, sig: string) =>
    reason(
      verify(verifier, SHOPIFY_BODY, {
        "x-shopify-hmac-sha256": sig,
        "x-shopify-shop-domain": shop,
      }),
    );
  assert.equal(as("north.myshopify.com", SHOPIFY_NORTH_SIG), "ok");
  assert.equal(as("South.myshopify.com", southSig), "ok");
  // South's signature claimed for north (or the other way round) fails.
  assert.equal(as("north.myshopify.com", southSig), "bad_signature");
  assert.equal(as("south.myshopify.com", SHOPIFY_NORTH_SIG), "bad_signature");
  assert.equal(as("east.myshopify.com", SHOPIFY_NORTH_SIG), "unknown_account");
  assert.equal(
    reason(verify(verifier, SHOPIFY_BODY, { "x-shopify-hmac-sha256": SHOPIFY_NORTH_SIG })),
    "unknown_account",
  );
});

// ---------------------------------------------------------------- Stripe

const STRIPE_SECRET = "whsec_test_secret_0123456789";
const STRIPE_BODY =
  '{\n  "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",\n  "object": "event",\n  "type": "payment_intent.succeeded"\n}';
const stripe = new Stripe("sk_test_unused");

function stripeHeader(opts: {
  timestamp?: number;
  secret?: string;
  body?: string;
  signature?: string;
}) {
  return stripe.webhooks.generateTestHeaderString({
    payload: opts.body ?? STRIPE_BODY,
    secret: opts.secret ?? STRIPE_SECRET,
    timestamp: opts.timestamp ?? NOW / 1000,
    ...(opts.signature ? { signature: opts.signature } : {}),
  });
}

test("stripe: accepts the header Stripe's own SDK generates, with the signed time", () => {
  const verifier = stripeVerifier({ secrets: [STRIPE_SECRET] });
  const outcome = verify(verifier, STRIPE_BODY, { "stripe-signature": stripeHeader({}) });
  assert.deepEqual(outcome, { ok: true, secretIndex: 0, signedAt: new Date(NOW) });
  assert.deepEqual(verifier.dedupeKey, { json: "id" });
  assert.deepEqual(verifier.topic, { json: "type" });
});

test("stripe: wrong secret, re-serialised body, stale and future timestamps are refused", () => {
  const verifier = stripeVerifier({ secrets: [STRIPE_SECRET] });
  const header = stripeHeader({});
  assert.equal(
    reason(
      verify(stripeVerifier({ secrets: ["whsec_other"] }), STRIPE_BODY, {
        "stripe-signature": header,
      }),
    ),
    "bad_signature",
  );
  assert.equal(
    reason(verify(verifier, reserialised(STRIPE_BODY), { "stripe-signature": header })),
    "bad_signature",
  );
  const at = (seconds: number) => stripeHeader({ timestamp: NOW / 1000 + seconds });
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": at(-301) })),
    "stale_timestamp",
  );
  assert.equal(reason(verify(verifier, STRIPE_BODY, { "stripe-signature": at(-300) })), "ok");
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": at(301) })),
    "future_timestamp",
  );
  assert.equal(reason(verify(verifier, STRIPE_BODY, { "stripe-signature": at(299) })), "ok");
  const tight = stripeVerifier({ secrets: [STRIPE_SECRET], toleranceSeconds: 10 });
  assert.equal(
    reason(verify(tight, STRIPE_BODY, { "stripe-signature": at(-11) })),
    "stale_timestamp",
  );
  // A forged stale request with a bad signature is reported as a bad signature, not as stale.
  assert.equal(
    reason(
      verify(verifier, STRIPE_BODY, {
        "stripe-signature": stripeHeader({ timestamp: 1, secret: "whsec_x" }),
      }),
    ),
    "bad_signature",
  );
  // Changing t invalidates the signature (the timestamp is signed).
  const moved = header.replace(/t=\d+/, `t=${NOW / 1000 + 1}`);
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": moved })),
    "bad_signature",
  );
});

test("stripe: any of several v1 signatures may match; v0 is ignored; missing parts are named", () => {
  const verifier = stripeVerifier({ secrets: [STRIPE_SECRET] });
  const good = stripeHeader({}).split("v1=")[1]!;
  const t = NOW / 1000;
  const bogus = "0".repeat(64);
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": `t=${t},v1=${bogus},v1=${good}` })),
    "ok",
  );
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": `t=${t},v0=${good}` })),
    "missing_signature",
  );
  assert.equal(
    reason(verify(verifier, STRIPE_BODY, { "stripe-signature": `v1=${good}` })),
    "missing_header",
  );
  assert.equal(reason(verify(verifier, STRIPE_BODY, {})), "missing_signature");
});

test("stripe: rotation — the old and the new endpoint secret are both accepted until the old is removed", () => {
  const oldHeader = stripeHeader({ secret: "whsec_old" });
  const rotating = stripeVerifier({ secrets: ["whsec_new", "whsec_old"] });
  assert.deepEqual(verify(rotating, STRIPE_BODY, { "stripe-signature": oldHeader }), {
    ok: true,
    secretIndex: 1,
    signedAt: new Date(NOW),
  });
  const rotated = stripeVerifier({ secrets: ["whsec_new"] });
  assert.equal(
    reason(verify(rotated, STRIPE_BODY, { "stripe-signature": oldHeader })),
    "bad_signature",
  );
});

// ---------------------------------------------------------------- Standard Webhooks / Svix

// Svix's published example (docs "verifying payloads manually" and its libraries' tests).
const SVIX_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SVIX_EXAMPLE = {
  "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
  "svix-timestamp": "1614265330",
  "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const SVIX_BODY = '{"test": 2432232314}';

test("svix: passes Svix's published example; the same under webhook-* names for Standard Webhooks", () => {
  const at = 1614265330_000;
  assert.deepEqual(verify(svixVerifier({ secrets: [SVIX_SECRET] }), SVIX_BODY, SVIX_EXAMPLE, at), {
    ok: true,
    secretIndex: 0,
    signedAt: new Date(at),
  });
  const renamed = Object.fromEntries(
    Object.entries(SVIX_EXAMPLE).map(([k, v]) => [k.replace("svix-", "webhook-"), v]),
  );
  const standard = standardWebhooksVerifier({ secrets: [SVIX_SECRET] });
  assert.equal(reason(verify(standard, SVIX_BODY, renamed, at)), "ok");
  // Standard Webhooks names only: svix-* headers are not read by it.
  assert.equal(reason(verify(standard, SVIX_BODY, SVIX_EXAMPLE, at)), "missing_signature");
  assert.deepEqual(standard.dedupeKey, { header: "webhook-id" });
  assert.deepEqual(svixVerifier({ secrets: [SVIX_SECRET] }).dedupeKey, { header: "svix-id" });
});

function standardHeaders(secret: string, id: string, seconds: number, body: string) {
  const signature = new StandardWebhook(secret).sign(id, new Date(seconds * 1000), body);
  return { "webhook-id": id, "webhook-timestamp": String(seconds), "webhook-signature": signature };
}

test("standard webhooks: accepts what the reference library signs; refuses wrong secret, re-serialised body, stale and future", () => {
  const secret = "whsec_" + Buffer.alloc(32, 7).toString("base64");
  const body = '{"type": "invoice.paid",  "data": {"id": 1}}';
  const verifier = standardWebhooksVerifier({ secrets: [secret] });
  const t = NOW / 1000;
  assert.equal(reason(verify(verifier, body, standardHeaders(secret, "msg_1", t, body))), "ok");
  const other = "whsec_" + Buffer.alloc(32, 8).toString("base64");
  assert.equal(
    reason(verify(verifier, body, standardHeaders(other, "msg_1", t, body))),
    "bad_signature",
  );
  assert.equal(
    reason(verify(verifier, reserialised(body), standardHeaders(secret, "msg_1", t, body))),
    "bad_signature",
  );
  assert.equal(
    reason(verify(verifier, body, standardHeaders(secret, "msg_1", t - 301, body))),
    "stale_timestamp",
  );
  assert.equal(
    reason(verify(verifier, body, standardHeaders(secret, "msg_1", t + 301, body))),
    "future_timestamp",
  );
  // The id is signed: a replay under a new id (to dodge dedupe) fails.
  const headers = standardHeaders(secret, "msg_1", t, body);
  assert.equal(
    reason(verify(verifier, body, { ...headers, "webhook-id": "msg_2" })),
    "bad_signature",
  );
  assert.equal(reason(verify(verifier, body, { ...headers, "webhook-id": "" })), "missing_header");
  assert.equal(
    reason(verify(verifier, body, { ...headers, "webhook-timestamp": "yesterday" })),
    "missing_header",
  );
});

test("standard webhooks: a list of signatures (v1a skipped) and rotated secrets", () => {
  const oldSecret = "whsec_" + Buffer.alloc(24, 1).toString("base64");
  const newSecret = "whsec_" + Buffer.alloc(24, 2).toString("base64");
  const body = '{"type":"ping"}';
  const t = NOW / 1000;
  const oldSig = standardHeaders(oldSecret, "msg_9", t, body)["webhook-signature"];
  const newSig = standardHeaders(newSecret, "msg_9", t, body)["webhook-signature"];
  const base = { "webhook-id": "msg_9", "webhook-timestamp": String(t) };
  const onlyNew = standardWebhooksVerifier({ secrets: [newSecret] });
  // The sender signs with both during its own rotation: any entry may match.
  const list = `v1a,${Buffer.alloc(64).toString("base64")} ${oldSig} ${newSig}`;
  assert.equal(reason(verify(onlyNew, body, { ...base, "webhook-signature": list })), "ok");
  assert.equal(
    reason(verify(onlyNew, body, { ...base, "webhook-signature": oldSig })),
    "bad_signature",
  );
  const rotating = standardWebhooksVerifier({ secrets: [newSecret, oldSecret] });
  assert.deepEqual(verify(rotating, body, { ...base, "webhook-signature": oldSig }), {
    ok: true,
    secretIndex: 1,
    signedAt: new Date(NOW),
  });
  assert.equal(
    reason(verify(onlyNew, body, { ...base, "webhook-signature": "v1a,abc" })),
    "missing_signature",
  );
});

// ---------------------------------------------------------------- generic HMAC

test("hmac: algorithm, encoding and prefix as configured (vector from openssl)", () => {
  const verifier = hmacVerifier({
    secrets: ["generic-secret"],
    header: "X-Signature",
    algorithm: "sha512",
    encoding: "hex",
    prefix: "sha512=",
    dedupeKey: { header: "x-delivery" },
  });
  // printf '%s' BODY | openssl dgst -sha512 -hmac generic-secret -hex
  const hex =
    "44122854550a53013416bc205de86dcc8c57175a10642eb0daa89053b635df285e97becfd9c3cb9746454e825524ae9ba2db61e2a3c29d42dce6f24e09545fab";
  assert.equal(reason(verify(verifier, SHOPIFY_BODY, { "x-signature": `sha512=${hex}` })), "ok");
  assert.equal(
    reason(verify(verifier, SHOPIFY_BODY, { "x-signature": hex })),
    "malformed_signature",
  );
  assert.equal(
    reason(verify(verifier, reserialised(SHOPIFY_BODY), { "x-signature": `sha512=${hex}` })),
    "bad_signature",
  );
  const b64 = hmacVerifier({
    secrets: ["k2", "k1"],
    header: "x-sig",
    encoding: "base64",
    dedupeKey: { json: "id" },
  });
  const sig = createHmac("sha256", "k1").update("{}").digest("base64");
  assert.deepEqual(verify(b64, "{}", { "x-sig": sig }), { ok: true, secretIndex: 1 });
  assert.equal(reason(verify(b64, "{}", { "x-sig": sig.toLowerCase() })), "bad_signature");
});

test("a verifier without a secret, or with a malformed whsec_ secret, is refused at definition", () => {
  const refused = (make: () => unknown) =>
    assert.throws(make, (e: unknown) => isOpskitError(e, "INBOX_CONFIG_INVALID"));
  refused(() => githubVerifier({ secrets: [] }));
  refused(() => stripeVerifier({ secrets: [""] }));
  refused(() => shopifyVerifier({ secrets: {} }));
  refused(() => shopifyVerifier({ secrets: { "a.myshopify.com": [] } }));
  refused(() => standardWebhooksVerifier({ secrets: ["whsec_short"] }));
  refused(() => standardWebhooksVerifier({ secrets: ["whsec_not base64!"] }));
  refused(() =>
    hmacVerifier({
      secrets: ["x"],
      header: "h",
      algorithm: "md5" as "sha1",
      dedupeKey: { json: "id" },
    }),
  );
});
