import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { inspect } from "node:util";
import { isOpskitError } from "../errors.js";
import { createLogger } from "../log/index.js";
import { createKeyRing } from "./key-ring.js";
import { lastFour } from "./mask-secret.js";
import { createSecretBox } from "./secret-box.js";

const k = () => randomBytes(32).toString("base64");
const [k1, k2] = [k(), k()];
const box = createSecretBox(createKeyRing(`k2:${k2},k1:${k1}`));
const place = { table: "stores", column: "api_key", id: 7 };

test("a value round-trips under the primary key, with a fresh envelope each time", () => {
  const a = box.encrypt("sk_live_4242", place);
  const b = box.encrypt("sk_live_4242", place);
  assert.notEqual(a, b);
  assert.match(a, /^okv1\.k2\./);
  assert.equal(box.decrypt(a, place), "sk_live_4242");
  assert.equal(box.keyIdOf(a), "k2");
});

test("a ciphertext swapped to another row, column or table does not decrypt", () => {
  const stored = box.encrypt("sk_live_4242", place);
  for (const other of [
    { ...place, id: 8 },
    { ...place, column: "webhook_secret" },
    { ...place, table: "suppliers" },
  ]) {
    assert.throws(
      () => box.decrypt(stored, other),
      (e) => isOpskitError(e, "SECRET_DECRYPT_FAILED"),
    );
  }
});

test("a truncated or altered ciphertext is an error, never the stored text", () => {
  const stored = box.encrypt("sk_live_4242", place);
  for (const bad of [
    stored.slice(0, -4), // tag cut short (Node would accept a 12-byte tag without authTagLength)
    stored.slice(0, 30),
    `${stored.slice(0, -2)}${stored.endsWith("A") ? "B" : "A"}A`,
    "sk_live_plaintext",
    `${stored}.extra`,
  ]) {
    assert.throws(
      () => box.decrypt(bad, place),
      (e) => isOpskitError(e, "SECRET_DECRYPT_FAILED") && !e.message.includes("sk_live"),
    );
  }
});

test("a value under a key removed from the ring fails with SECRET_KEY_UNKNOWN; naming the key is not trying each", () => {
  const old = createSecretBox(createKeyRing(`k1:${k1}`)).encrypt("sk_live_4242", place);
  assert.equal(box.decrypt(old, place), "sk_live_4242", "old keys still decrypt");
  const rotated = createSecretBox(createKeyRing(`k3:${k()},k2:${k2}`));
  assert.throws(
    () => rotated.decrypt(old, place),
    (e) => isOpskitError(e, "SECRET_KEY_UNKNOWN"),
  );
  // A forged key id naming a key in the ring fails authentication (the id is in the AAD).
  const relabelled = old.replace("okv1.k1.", "okv1.k2.");
  assert.throws(
    () => box.decrypt(relabelled, place),
    (e) => isOpskitError(e, "SECRET_DECRYPT_FAILED"),
  );
});

test("the key ring refuses short keys and duplicate ids without echoing a key", () => {
  const short = randomBytes(16).toString("base64");
  assert.throws(
    () => createKeyRing(`a:${short}`),
    (e) => isOpskitError(e, "SECRETS_CONFIG_INVALID") && !e.message.includes(short),
  );
  assert.throws(() => createKeyRing(`a:${k1},a:${k2}`), /twice/);
});

test("an opened value cannot be logged: JSON, string and inspect give [REDACTED]; reveal gives the text", () => {
  const lines: string[] = [];
  const log = createLogger({ destination: { write: (l: string) => void lines.push(l) } });
  const value = box.open(box.encrypt("sk_live_51Hxyz4242", place), place);
  log.info({ store: { apiKey: value } }, `calling with ${String(value)}`);
  log.info("again %o", { value });
  assert.equal(value.reveal(), "sk_live_51Hxyz4242");
  assert.match(inspect(value), /REDACTED/);
  assert.equal(JSON.stringify({ value }), '{"value":"[REDACTED]"}');
  assert.ok(!lines.join("\n").includes("sk_live"), lines.join("\n"));
  assert.equal(lastFour(value.reveal()), "••••4242");
  assert.equal(lastFour("short"), "••••");
});
