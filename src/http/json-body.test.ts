import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { z } from "zod";
import { createLogger } from "../log/index.js";
import { createHttpApp, isJsonContentType, jsonBody } from "./index.js";

const schema = z.object({ name: z.string() }).passthrough();

function app() {
  const routes = new Hono().post("/things", async (c) =>
    c.json({ name: (await jsonBody(c, schema)).name }, 201),
  );
  return createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: routes }],
  });
}

async function post(body: string | Uint8Array, contentType?: string) {
  const res = await app().request("/things", {
    method: "POST",
    body,
    headers: contentType === undefined ? {} : { "content-type": contentType },
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string } },
  };
}

test("a JSON route refuses what a cross-site form can send without a preflight with 415", async () => {
  const json = '{"name":"x"}';
  for (const type of [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin1",
    "application/jsonx",
  ]) {
    const res = await post(json, type);
    assert.equal(res.status, 415, type);
    assert.equal(res.body.error?.code, "UNSUPPORTED_MEDIA_TYPE");
  }
  // fetch() sends a string body as text/plain when no type is given.
  assert.equal((await app().request("/things", { method: "POST", body: json })).status, 415);
  for (const type of [
    "application/json",
    "Application/JSON; charset=utf-8",
    "application/merge-patch+json",
  ]) {
    assert.equal((await post(json, type)).status, 201, type);
  }
});

test("bytes that are not UTF-8, NUL characters and lone surrogates are a 400, not stored", async () => {
  const invalidUtf8 = new Uint8Array([
    ...Buffer.from('{"name":"'),
    0xc3,
    0x28,
    ...Buffer.from('"}'),
  ]);
  for (const body of [
    invalidUtf8,
    '{"name":"a\\u0000b"}',
    '{"name":"\\ud800"}',
    '{"\\udc00":1,"name":"x"}',
    "{nope",
  ]) {
    const res = await post(body, "application/json");
    assert.equal(res.status, 400, String(body));
    assert.equal(res.body.error?.code, "BAD_REQUEST");
  }
  // A well-formed pair is a character like any other.
  assert.equal((await post('{"name":"\\ud83d\\ude00"}', "application/json")).status, 201);
});

test("deeply nested JSON is answered, not a crash", async () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const res = await post(`{"name":"x","deep":${deep}}`, "application/json");
  assert.equal(res.status, 201);
});

test("isJsonContentType takes JSON media types with no charset or UTF-8 only", () => {
  assert.equal(isJsonContentType(undefined), false);
  assert.equal(isJsonContentType('application/json; charset="utf-8"'), true);
  assert.equal(isJsonContentType("application/vnd.api+json"), true);
  assert.equal(isJsonContentType("application/json; charset=utf-16"), false);
});
