// The Sentry reporter against a real local HTTP server acting as Sentry's
// ingest endpoint (the DSN points at it), in a child process so that an
// unhandled rejection is a real one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { after, test } from "node:test";
import { createTestDatabase, waitUntil } from "../../testing/index.js";

const db = await createTestDatabase();
after(() => db.drop());

interface SentryEvent {
  exception?: { values?: { type?: string; value?: string }[] };
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
}

test("Sentry: a 500 and an unhandled rejection arrive at the ingest endpoint as envelopes, with the error and the request id", async () => {
  const events: SentryEvent[] = [];
  const paths: string[] = [];
  const ingest = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      paths.push(req.url ?? "");
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      // An envelope: a header line, then (item header, item payload) pairs.
      const lines = body.toString("utf8").split("\n").filter(Boolean);
      for (let i = 1; i + 1 < lines.length; i += 2) {
        const item = JSON.parse(lines[i]!) as { type: string };
        if (item.type === "event") events.push(JSON.parse(lines[i + 1]!) as SentryEvent);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
  const port = (ingest.address() as AddressInfo).port;
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/sentry-service.ts"], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      OPSKIT_CONSOLE: "false",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "0s",
      SENTRY_DSN: `http://public@127.0.0.1:${port}/42`,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit") as Promise<[number | null]>;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`exited with ${code} before listening`)));
      createInterface({ input: child.stdout }).on("line", (text) => {
        const line = JSON.parse(text) as { msg?: string; url?: string };
        if (line.msg === "listening") resolve(line.url!);
      });
    });
    const res = await fetch(`${url}/boom`, { headers: { "x-request-id": "sentry-req-1" } });
    assert.equal(res.status, 500);
    await waitUntil(() => events.some((e) => e.tags?.source === "http"), "the 500's event");
    const http = events.find((e) => e.tags?.source === "http")!;
    assert.equal(http.exception?.values?.[0]?.value, "kaboom from a route");
    assert.equal(http.tags?.request_id, "sentry-req-1");
    assert.equal(http.extra?.route, "/boom");
    assert.ok(
      paths.every((p) => p.startsWith("/api/42/envelope/")),
      paths.join(","),
    );

    assert.equal((await fetch(`${url}/reject`)).status, 200);
    await waitUntil(
      () => events.some((e) => e.tags?.source === "process"),
      "the rejection's event",
    );
    const rejection = events.find((e) => e.tags?.source === "process")!;
    assert.equal(rejection.exception?.values?.[0]?.value, "nobody awaited me");
  } finally {
    child.kill("SIGTERM");
    const [code] = await exited;
    ingest.close();
    assert.equal(code, 0, "the process kept running after the rejection and stopped cleanly");
  }
});
