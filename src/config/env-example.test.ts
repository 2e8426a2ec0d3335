import assert from "node:assert/strict";
import { test } from "node:test";
import { renderConfigDocs } from "./config-docs.js";
import { checkEnvExample, renderEnvExample } from "./env-example.js";
import { defineManifest } from "./manifest.js";
import { v } from "./v.js";

const manifest = defineManifest({
  prefixes: ["SHOP_"],
  vars: {
    SHOP_DATABASE_URL: v.url({
      protocols: ["postgres"],
      secret: true,
      description: "Where orders live.",
      example: "postgres://shop:hunter2@db:5432/shop",
    }),
    SHOP_PORT: v.port({ default: 3000, description: "HTTP port.", example: "8080" }),
    SHOP_KEY: v.secret({
      encoding: "hex",
      minBytes: 16,
      description: "Signing key.\nRotate yearly.",
    }),
    SHOP_NAME: v.string({ description: "Shown in | emails <b>.", example: "Bakery & Co #1" }),
    SHOP_TAGS: v.list({ optional: true, description: "Tags.", example: "a,b" }),
    SHOP_TTL: v.duration({ default: 90_000, description: "Cache TTL." }),
  },
});

const EXPECTED = `# Generated from the config manifest by \`opskit config example\`: do not edit by hand.
# An empty value counts as unset. Secrets are blank on purpose: never commit their values.

# Where orders live.
# url (postgres), required, secret, e.g. postgres://shop:***@db:5432/shop
SHOP_DATABASE_URL=

# HTTP port.
# port, default 3000, e.g. 8080
SHOP_PORT=3000

# Signing key.
# Rotate yearly.
# secret (hex, min 16 bytes), required
SHOP_KEY=

# Shown in | emails <b>.
# string, required, e.g. Bakery & Co #1
SHOP_NAME="Bakery & Co #1"

# Tags.
# list of string, optional, e.g. a,b
SHOP_TAGS=

# Cache TTL.
# duration, default 90s
SHOP_TTL=90s
`;

test(".env.example is generated exactly: order, comments, defaults, blank secrets", () => {
  assert.equal(renderEnvExample(manifest), EXPECTED);
});

test(".env.example is reproducible byte for byte", () => {
  const again = defineManifest({ prefixes: ["SHOP_"], vars: { ...manifest.vars } });
  assert.equal(renderEnvExample(again), renderEnvExample(manifest));
  assert.equal(renderEnvExample(manifest), renderEnvExample(manifest));
});

test("checkEnvExample passes the generated file (CRLF too)", () => {
  const drift = checkEnvExample(manifest, EXPECTED);
  assert.deepEqual(drift, { ok: true, missingKeys: [], extraKeys: [], diff: [], message: "" });
  assert.equal(checkEnvExample(manifest, EXPECTED.replace(/\n/g, "\r\n")).ok, true);
});

test("checkEnvExample reports missing keys, extra keys and a line diff", () => {
  const edited = EXPECTED.replace("SHOP_PORT=3000", "SHOP_PORT=8080")
    .replace(/\n# Tags\.\n# list of string, optional, e\.g\. a,b\nSHOP_TAGS=\n/, "")
    .concat("SHOP_OLD=1\n");
  const drift = checkEnvExample(manifest, edited);
  assert.equal(drift.ok, false);
  assert.deepEqual(drift.missingKeys, ["SHOP_TAGS"]);
  assert.deepEqual(drift.extraKeys, ["SHOP_OLD"]);
  assert.ok(drift.diff.includes("-SHOP_PORT=8080"));
  assert.ok(drift.diff.includes("+SHOP_PORT=3000"));
  assert.ok(drift.diff.includes("+SHOP_TAGS="));
  assert.ok(drift.diff.includes("-SHOP_OLD=<value hidden, 1 characters>"));
  assert.match(
    drift.message,
    /^\.env\.example differs from what the manifest generates\.\nmissing keys: SHOP_TAGS\nkeys not in the manifest: SHOP_OLD\n--- \.env\.example\n\+\+\+ generated\n@@ -9 \+9 @@\n/,
  );
});

test("a comment-only change is drift too", () => {
  const drift = checkEnvExample(manifest, EXPECTED.replace("# HTTP port.", "# The HTTP port."));
  assert.equal(drift.ok, false);
  assert.deepEqual(drift.missingKeys, []);
  assert.deepEqual(drift.extraKeys, []);
  assert.deepEqual(drift.diff, [
    "@@ -7 +7 @@",
    " ",
    "-# The HTTP port.",
    "+# HTTP port.",
    " # port, default 3000, e.g. 8080",
  ]);
});

test("renderConfigDocs gives a Markdown table with masked secret examples", () => {
  assert.equal(
    renderConfigDocs(manifest),
    `| name | type | required | default | secret | description | example |
| --- | --- | --- | --- | --- | --- | --- |
| \`SHOP_DATABASE_URL\` | url (postgres) | yes |  | yes | Where orders live. | \`postgres://shop:***@db:5432/shop\` |
| \`SHOP_PORT\` | port | no | \`3000\` | no | HTTP port. | \`8080\` |
| \`SHOP_KEY\` | secret (hex, min 16 bytes) | yes |  | yes | Signing key. Rotate yearly. |  |
| \`SHOP_NAME\` | string | yes |  | no | Shown in \\| emails &lt;b&gt;. | \`Bakery & Co #1\` |
| \`SHOP_TAGS\` | list of string | no |  | no | Tags. | \`a,b\` |
| \`SHOP_TTL\` | duration | no | \`90s\` | no | Cache TTL. |  |
`,
  );
});
