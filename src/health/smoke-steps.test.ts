import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { defineSmokeSteps, isSmokeSteps, runSmokeSteps } from "./index.js";

let server: Server;
let baseUrl: URL;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/slow") return; // never answers
    const auth = req.headers.authorization ?? null;
    res.writeHead(req.url === "/ok" ? 200 : 500, { "content-type": "application/json" });
    res.end(JSON.stringify({ path: req.url, auth, body: null }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

test("steps run in order, each result named; a failure does not stop the others", async () => {
  const order: string[] = [];
  const steps = defineSmokeSteps([
    {
      name: "ok with a token",
      run: async (ctx) => {
        order.push("a");
        const body = await ctx.request<{ auth: string }>("GET", "/ok", { token: "t0k" });
        assert.equal(body.auth, "Bearer t0k");
        ctx.note("saw the token");
      },
    },
    {
      name: "server error",
      run: async (ctx) => void (order.push("b"), await ctx.request("GET", "/boom")),
    },
    { name: "slow", timeoutMs: 100, run: async (ctx) => void (await ctx.fetch("/slow")) },
    {
      name: "thrown string",
      run: () => {
        order.push("d");
        throw "plain"; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    },
  ]);
  const seen: string[] = [];
  const { ok, results } = await runSmokeSteps(steps, {
    baseUrl,
    onResult: (r) => void seen.push(r.name),
  });
  assert.equal(ok, false);
  assert.deepEqual(order, ["a", "b", "d"]);
  assert.deepEqual(
    seen,
    steps.map((s) => s.name),
  );
  assert.deepEqual(
    results.map((r) => [r.name, r.ok]),
    [
      ["ok with a token", true],
      ["server error", false],
      ["slow", false],
      ["thrown string", false],
    ],
  );
  assert.deepEqual(results[0]!.notes, ["saw the token"]);
  assert.match(results[1]!.error!, /^GET \/boom: expected HTTP 200, got 500: \{"path":"\/boom"/);
  assert.equal(results[2]!.error, "timed out after 100 ms");
  assert.equal(results[3]!.error, "plain");
});

test("an unreachable service fails the step with the socket's reason", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { results } = await runSmokeSteps(
    defineSmokeSteps([{ name: "call", run: async (ctx) => void (await ctx.request("GET", "/")) }]),
    { baseUrl: new URL(`http://127.0.0.1:${port}/`) },
  );
  assert.match(results[0]!.error!, /fetch failed \(ECONNREFUSED\)/);
});

test("defineSmokeSteps refuses nameless, duplicate and badly timed steps; marks what it made", () => {
  const run = () => undefined;
  assert.throws(() => defineSmokeSteps([{ name: " ", run }]), { code: "HEALTH_CONFIG_INVALID" });
  assert.throws(
    () =>
      defineSmokeSteps([
        { name: "a", run },
        { name: "a", run },
      ]),
    /Two smoke steps are named a/,
  );
  assert.throws(() => defineSmokeSteps([{ name: "a", run, timeoutMs: 0 }]), /timeoutMs/);
  assert.throws(() => defineSmokeSteps([{ name: "a" } as never]), /run function/);
  assert.equal(isSmokeSteps(defineSmokeSteps([{ name: "a", run }])), true);
  assert.equal(isSmokeSteps([{ name: "a", run }]), false);
  assert.equal(isSmokeSteps(undefined), false);
});
