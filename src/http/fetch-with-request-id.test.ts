import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { runWithLogContext } from "../log/index.js";
import { fetchWithRequestId } from "./fetch-with-request-id.js";

test("fetchWithRequestId passes the request's id on, keeps a header the caller set, and adds nothing outside a request", async () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers["x-request-id"] as string | undefined);
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    await runWithLogContext({ request_id: "outgoing-1" }, async () => {
      await (await fetchWithRequestId(url, { headers: { accept: "text/plain" } })).text();
      await (await fetchWithRequestId(url, { headers: { "X-Request-Id": "mine" } })).text();
      await (await fetchWithRequestId(new Request(url))).text();
    });
    await (await fetchWithRequestId(url)).text();
  } finally {
    server.close();
  }
  assert.deepEqual(seen, ["outgoing-1", "mine", "outgoing-1", undefined]);
});
