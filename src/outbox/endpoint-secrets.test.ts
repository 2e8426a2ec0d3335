/**
 * With a key ring, endpoint secrets are stored encrypted (bound to their
 * endpoint and column), a rotation re-seals the old one for its new place,
 * and what is sent still verifies with `standardwebhooks`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { Webhook } from "standardwebhooks";
import { createKeyRing, createSecretBox } from "../secrets/index.js";
import { withPool } from "../../test/jobs.js";
import { openSecret } from "./endpoint-secrets.js";
import { createOutboxAdmin } from "./outbox-admin.js";
import { signWebhook } from "./webhook-signature.js";

test("endpoint secrets are encrypted at rest with OPSKIT_SECRET_KEYS and still sign verifiably", async () => {
  await withPool(async (pool) => {
    const box = createSecretBox(createKeyRing(`k1:${randomBytes(32).toString("base64")}`));
    const admin = createOutboxAdmin(pool, { box });
    const first = `whsec_${randomBytes(32).toString("base64")}`;
    const second = `whsec_${randomBytes(32).toString("base64")}`;
    const saved = await admin.upsertEndpoint({
      name: "crm",
      url: "https://crm.example/h",
      secret: first,
    });
    assert.equal(saved.encrypted, true);
    const stored = async () =>
      (
        await pool.query<{ secret: string; previous_secret: string | null }>(
          "select secret, previous_secret from opskit.outbox_endpoints where name = 'crm'",
        )
      ).rows[0]!;
    const row = await stored();
    assert.match(row.secret, /^okv1\./);
    assert.equal(row.secret.includes(first.slice(6)), false);
    assert.equal(openSecret(box, "crm", "secret", row.secret), first);
    // Bound to its place: the same ciphertext does not open as another endpoint's.
    assert.throws(() => openSecret(box, "other", "secret", row.secret));
    // Without the ring, a clear configuration error (never the ciphertext used as a key).
    assert.throws(
      () => openSecret(undefined, "crm", "secret", row.secret),
      (e: Error & { code?: string }) => e.code === "SECRETS_CONFIG_INVALID",
    );

    await admin.rotateSecret("crm", second);
    const rotated = await stored();
    const secrets = [
      openSecret(box, "crm", "secret", rotated.secret),
      openSecret(box, "crm", "previous_secret", rotated.previous_secret!),
    ];
    assert.deepEqual(secrets, [second, first]);
    const body = '{"type":"t"}';
    const headers = signWebhook(secrets, "msg_1", Math.floor(Date.now() / 1000), body);
    new Webhook(first).verify(body, headers);
    new Webhook(second).verify(body, headers);
  });
});
