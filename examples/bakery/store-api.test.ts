import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";
import { createStoreApi } from "./store-api.js";

// A real store endpoint on loopback: records each call, answers 503 to the SKU "flaky".
const calls: { key: string | undefined; body: unknown }[] = [];
const server = createServer((req, res) => {
  let text = "";
  req.on("data", (chunk: Buffer) => (text += chunk.toString()));
  req.on("end", () => {
    calls.push({
      key: req.headers["idempotency-key"] as string | undefined,
      body: JSON.parse(text),
    });
    const flaky = (JSON.parse(text) as { sku: string }).sku === "flaky";
    res.writeHead(req.url === "/inventory" && !flaky ? 200 : 503).end("{}");
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

test("with a URL, a push is POST /inventory carrying its idempotency key", async () => {
  const api = createStoreApi({ failureRate: 0, url });
  const push = {
    store: "north",
    sku: "croissant",
    delta: -6,
    idempotencyKey: "inventory:7:croissant",
  };
  await api.pushInventory(push, new AbortController().signal);
  // A retry of the same push sends the same key: a store that honours it applies the push once.
  await api.pushInventory(push, new AbortController().signal);
  assert.deepEqual(calls.splice(0), [
    { key: "inventory:7:croissant", body: { store: "north", sku: "croissant", delta: -6 } },
    { key: "inventory:7:croissant", body: { store: "north", sku: "croissant", delta: -6 } },
  ]);
});

test("a store's non-2xx answer fails the push (the job retries it)", async () => {
  const api = createStoreApi({ failureRate: 0, url: `${url}/` });
  await assert.rejects(
    api.pushInventory(
      { store: "south", sku: "flaky", delta: -1, idempotencyKey: "inventory:8:flaky" },
      new AbortController().signal,
    ),
    /south answered 503 to the inventory update of flaky/,
  );
  assert.equal(calls.splice(0).length, 1);
});
