import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { html } from "./html.js";
import { SCRUBBED, scrubSecrets } from "./scrub-secrets.js";

/** A page that renders `value` the way every screen does: through the escaping `html` template. */
async function render(secret: string, value: string, type: "html" | "json" = "html") {
  const app = new Hono();
  app.use("*", scrubSecrets([secret]));
  app.get("/", (c) => (type === "html" ? c.html(html`<p>${value}</p>`) : c.json({ value })));
  return (await app.request("/")).text();
}

test("a secret with characters HTML escapes is scrubbed in its escaped form too", async () => {
  for (const secret of [
    `pa'ss-word`,
    `a&b&c-d-e`,
    `quo"ted-secret`,
    `<tag>secret`,
    `x>y>z-secret`,
  ]) {
    const page = await render(secret, `before ${secret} after`);
    assert.ok(!page.includes(secret), `${secret}: raw form left in ${page}`);
    assert.match(page, new RegExp(`before ${SCRUBBED.replace(/[[\]]/g, "\\$&")} after`), secret);
    for (const ch of ["&#39;", "&amp;", "&quot;", "&lt;", "&gt;"])
      if (page.includes(ch)) assert.fail(`${secret}: an escaped piece is left: ${page}`);
  }
});

test("a secret in a JSON body is scrubbed in its JSON-escaped form too", async () => {
  const secret = `back\\slash"quote`;
  const body = await render(secret, `x ${secret} y`, "json");
  assert.ok(!body.includes(JSON.stringify(secret).slice(1, -1)), body);
  assert.equal((JSON.parse(body) as { value: string }).value, `x ${SCRUBBED} y`);
});
