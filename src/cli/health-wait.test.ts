import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { captureOutput } from "../../test/helpers.js";
import { after, before, test } from "node:test";
import { runCli } from "./index.js";

let server: Server;
let base: string;
let requests = 0;

before(async () => {
  // A service that answers 503 twice, then version 1, then (from the 5th request) version 2.
  server = createServer((_req, res) => {
    requests++;
    const body =
      requests <= 2
        ? { status: "fail", version: "1" }
        : { status: "pass", version: requests >= 5 ? "2" : "1", releaseId: "abc" };
    res.writeHead(requests <= 2 ? 503 : 200, { "content-type": "application/health+json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("waits until healthy at the expected version, printing each change it sees", async () => {
  requests = 0;
  const { out, io: output } = captureOutput();
  const code = await runCli(
    ["health", "wait", base, "--expect-version", "2", "--interval", "20ms", "--timeout", "10s"],
    output,
  );
  assert.equal(code, 0);
  assert.equal(requests, 5);
  assert.match(out[0] ?? "", /http=503 status=fail version=1/);
  assert.match(out[1] ?? "", /http=200 status=pass version=1/);
  assert.match(out[2] ?? "", /http=200 status=pass version=2/);
  assert.equal(out.at(-1), "healthy at version 2");
});

test("times out with exit 1 and says what it last saw; --json prints one object", async () => {
  requests = 10;
  const { out, io: output } = captureOutput();
  const code = await runCli(
    [
      "health",
      "wait",
      `${base}/health`,
      "--expect-version",
      "9",
      "--interval",
      "20ms",
      "--timeout",
      "200ms",
      "--json",
    ],
    output,
  );
  assert.equal(code, 1);
  const report = JSON.parse(out.at(-1) ?? "") as { ok: boolean; seen: { version: string } };
  assert.equal(report.ok, false);
  assert.equal(report.seen.version, "2");
});

test("an unreachable service is reported, not thrown", async () => {
  const { err, io: output } = captureOutput();
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const code = await runCli(
    ["health", "wait", `http://127.0.0.1:${port}/`, "--timeout", "100ms", "--interval", "20ms"],
    output,
  );
  assert.equal(code, 1);
  assert.match(err.join("\n"), /ECONNREFUSED/);
});

test("usage errors exit 2; --help exits 0", async () => {
  assert.equal(await runCli(["health", "wait"], captureOutput().io), 2);
  assert.equal(await runCli(["health", "wait", "not a url"], captureOutput().io), 2);
  assert.equal(await runCli(["health", "wait", base, "--timeout", "soon"], captureOutput().io), 2);
  assert.equal(await runCli(["health", "wait", base, "--bogus"], captureOutput().io), 2);
  assert.equal(await runCli(["health", "wait", "--help"], captureOutput().io), 0);
  assert.equal(await runCli(["nope"], captureOutput().io), 2);
  assert.equal(await runCli(["--help"], captureOutput().io), 0);
});

test("--smoke: a service that never gets healthy runs no step; --json says smoke null", async () => {
  const smoke = new URL("../../examples/bakery/smoke.ts", import.meta.url).pathname;
  requests = 0; // answers 503 twice, then version 1
  const { out, io: output } = captureOutput();
  const code = await runCli(
    [
      "health",
      "wait",
      base,
      "--expect-version",
      "9",
      "--smoke",
      smoke,
      "--interval",
      "20ms",
      "--timeout",
      "200ms",
      "--json",
    ],
    output,
  );
  assert.equal(code, 1);
  const report = JSON.parse(out.at(-1) ?? "") as { ok: boolean; smoke: unknown };
  assert.equal(report.ok, false);
  assert.equal(report.smoke, null);
  assert.equal(
    await runCli(["health", "wait", base, "--smoke-timeout", "x"], captureOutput().io),
    2,
  );
});
