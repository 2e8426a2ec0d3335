import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { createLogger } from "../log/index.js";
import { createHttpApp, type AccessLogMode } from "./index.js";

async function accessLines(mode: AccessLogMode | undefined): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "info",
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  const app = createHttpApp({
    log,
    mounts: [{ path: "/", app: new Hono().get("/orders", (c) => c.json([])) }],
    ...(mode ? { accessLog: mode } : {}),
  });
  const res = await app.request("/orders", {
    headers: {
      accept: "application/json",
      "user-agent": "checkout/1.2",
      authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
      cookie: "session=abc",
      "x-api-key": "k-123456789",
      "x-request-id": "log-1",
    },
  });
  assert.equal(res.status, 200);
  return lines.filter((l) => l.msg === "request");
}

test("OPSKIT_ACCESS_LOG: off writes no request line, on (the default) the request's outline, full its headers without the secret ones", async () => {
  assert.deepEqual(await accessLines("off"), []);
  for (const mode of ["on", undefined] as const) {
    const [line] = await accessLines(mode);
    assert.equal(line?.route, "/orders");
    assert.equal(line?.status, 200);
    assert.equal(line?.headers, undefined);
  }
  const [full] = await accessLines("full");
  assert.deepEqual(full?.headers, {
    accept: "application/json",
    "user-agent": "checkout/1.2",
    "x-request-id": "log-1",
  });
  assert.doesNotMatch(JSON.stringify(full), /eyJhbGci|session=abc|k-123456789/);
});
