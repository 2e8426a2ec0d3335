import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { isOpskitError } from "../errors.js";
import { createLogger, type CreateLoggerOptions } from "./create-logger.js";
import { flushLogs } from "./flush-logs.js";
import { LOG_CATEGORIES, withCategory } from "./log-categories.js";
import { REDACTED } from "./redactor.js";

const SECRET = "s3cr3t-v4lue";

function capture(options: Omit<CreateLoggerOptions, "destination"> = {}) {
  const raw: string[] = [];
  const log = createLogger({
    level: "debug",
    ...options,
    destination: { write: (s: string) => void raw.push(s) },
  });
  const lines = () => raw.map((s) => JSON.parse(s) as Record<string, unknown>);
  return { log, raw, lines };
}

test("each line is one JSON object with the level name, time, name and message", () => {
  const { log, raw, lines } = capture({ name: "bakery" });
  log.info({ order: 7 }, "order placed");
  assert.equal(raw.length, 1);
  assert.ok(raw[0]?.endsWith("}\n"));
  const line = lines()[0];
  assert.equal(line?.level, "info");
  assert.equal(line?.name, "bakery");
  assert.equal(line?.msg, "order placed");
  assert.equal(line?.order, 7);
  assert.equal(typeof line?.time, "number");
});

test("a message that is not a string is kept as it is", () => {
  const { log, lines } = capture();
  log.info(42);
  assert.equal(lines()[0]?.msg, 42);
});

test("the level option filters lines; an unknown level is a CONFIG_INVALID error", () => {
  const { log, lines } = capture({ level: "warn" });
  log.info("dropped");
  log.warn("kept");
  assert.deepEqual(
    lines().map((l) => l.msg),
    ["kept"],
  );
  assert.throws(
    () => createLogger({ level: "loud" as "info" }),
    (error: unknown) => isOpskitError(error, "CONFIG_INVALID") && /LOG_LEVEL/.test(error.message),
  );
});

test("categories appear on lines as `category`", () => {
  assert.deepEqual(
    [...LOG_CATEGORIES],
    ["startup", "http", "db", "slow_query", "auth", "migrate", "jobs", "shutdown", "error"],
  );
  const { log, lines } = capture();
  withCategory(log, "slow_query").warn({ duration_ms: 900 }, "slow query");
  withCategory(log, "inbox").info("a category added later");
  assert.deepEqual(
    lines().map((l) => l.category),
    ["slow_query", "inbox"],
  );
});

test("secret keys and values are redacted in the log call's object, at any depth", () => {
  const { log, raw, lines } = capture({ secrets: [SECRET] });
  log.info(
    {
      req: { headers: { Authorization: "Bearer abc", "x-api-key": "key-1", host: "shop" } },
      body: { items: [{ note: `use ${SECRET}` }], dbPassword: "pw" },
      target: "postgres://app:unregistered-pw@db/app",
    },
    `logging in with ${SECRET}`,
  );
  const line = lines()[0] as Record<string, Record<string, Record<string, unknown>>>;
  assert.deepEqual(line.req?.headers, {
    Authorization: REDACTED,
    "x-api-key": REDACTED,
    host: "shop",
  });
  assert.equal(line.body?.dbPassword, REDACTED);
  assert.equal(line.target, "postgres://app:***@db/app");
  assert.equal(line.msg, `logging in with ${REDACTED}`);
  assert.doesNotMatch(raw.join(""), /s3cr3t-v4lue|Bearer abc|key-1|unregistered-pw|"pw"/);
});

test("a raw Node request logged directly has its credentials redacted", async () => {
  const { log, raw, lines } = capture();
  const server = http.createServer((req, res) => {
    log.info(req, "incoming");
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  after(() => server.close());
  const { port } = server.address() as { port: number };
  await fetch(`http://127.0.0.1:${port}/x`, {
    headers: { Authorization: "Bearer tok-9", Cookie: "sid=c-9" },
  });
  assert.doesNotMatch(raw.join(""), /tok-9|c-9/);
  const req = lines()[0]?.req as { headers: Record<string, unknown>; url: string };
  assert.equal(req.url, "/x");
  assert.equal(req.headers.authorization, REDACTED);
});

test("values interpolated into the message are redacted, objects by key too", () => {
  const { log, raw } = capture({ secrets: [SECRET] });
  log.info("user %s sent %o and %j", `x${SECRET}y`, { token: "tok-1" }, { password: "pw-2" });
  assert.doesNotMatch(raw.join(""), /s3cr3t-v4lue|tok-1|pw-2/);
  assert.match(raw.join(""), /\[REDACTED\]/);
});

test("child bindings are redacted by key and value, in children of children and setBindings", () => {
  const { log, raw, lines } = capture({ secrets: [SECRET] });
  const child = log.child({ category: "auth", session: "sess-1", note: `k=${SECRET}` });
  const grandchild = child.child({ auth: { clientSecret: "cs-1" }, user: "ann" });
  grandchild.info("hello");
  grandchild.setBindings({ refresh_token: "rt-1" });
  grandchild.info("again");
  assert.doesNotMatch(raw.join(""), /s3cr3t-v4lue|sess-1|cs-1|rt-1/);
  const first = lines()[0];
  assert.equal(first?.category, "auth");
  assert.equal(first?.session, REDACTED);
  assert.equal(first?.note, `k=${REDACTED}`);
  assert.deepEqual(first?.auth, { clientSecret: REDACTED });
  assert.equal(first?.user, "ann");
});

test("secrets registered later are redacted from then on; setSecrets replaces them", () => {
  const { log, lines } = capture();
  log.info("key later-v4lue");
  log.addSecrets(["later-v4lue"]);
  log.child({ category: "startup" }).info("key later-v4lue");
  log.setSecrets(["newer-v4lue"]);
  log.info("later-v4lue newer-v4lue");
  assert.deepEqual(
    lines().map((l) => l.msg),
    ["key later-v4lue", `key ${REDACTED}`, `later-v4lue ${REDACTED}`],
  );
});

test("errors are logged with type, message, stack, code and causes, redacted", () => {
  const { log, raw, lines } = capture({ secrets: [SECRET] });
  const cause = Object.assign(new Error("connect ECONNREFUSED"), {
    code: "ECONNREFUSED",
    password: "pw-3",
  });
  const error = Object.assign(new Error(`login failed for ${SECRET}`, { cause }), {
    code: "E_LOGIN",
  });
  log.error(error);
  log.error({ err: error }, "explicit message");
  assert.doesNotMatch(raw.join(""), /s3cr3t-v4lue|pw-3/);
  const [first, second] = lines() as { err: Record<string, unknown>; msg: string }[];
  assert.equal(first?.msg, `login failed for ${REDACTED}`);
  assert.equal(first?.err.type, "Error");
  assert.equal(first?.err.message, `login failed for ${REDACTED}`);
  assert.equal(first?.err.code, "E_LOGIN");
  assert.match(String(first?.err.stack), /^Error: login failed for \[REDACTED\]\n/);
  assert.deepEqual(
    { ...(first?.err.cause as object), stack: undefined },
    {
      type: "Error",
      message: "connect ECONNREFUSED",
      code: "ECONNREFUSED",
      password: REDACTED,
      stack: undefined,
    },
  );
  assert.equal(second?.msg, "explicit message");
});

test("logging never modifies the caller's objects", () => {
  const { log } = capture({ secrets: [SECRET] });
  const error = Object.assign(new Error(`bad ${SECRET}`), { token: "t" });
  const input = { headers: { cookie: "c=1" }, text: SECRET, list: [{ apiKey: "k" }], error };
  log.info(input, "x");
  log.child(input).info("y");
  assert.deepEqual(input, {
    headers: { cookie: "c=1" },
    text: SECRET,
    list: [{ apiKey: "k" }],
    error,
  });
  assert.equal(error.message, `bad ${SECRET}`);
  assert.equal(error.token, "t");
});

test("cyclic objects are logged without throwing", () => {
  const { log, lines } = capture();
  const order: Record<string, unknown> = { id: 1 };
  order.self = order;
  assert.doesNotThrow(() => log.info({ order }, "cyclic"));
  assert.deepEqual(lines()[0]?.order, { id: 1, self: "[Circular]" });
});

test("an object that throws while being read still gives a line, and the call does not throw", () => {
  const { log, lines } = capture({ secrets: [SECRET] });
  const hostile = {
    get value(): string {
      throw new Error(`getter failed near ${SECRET}`);
    },
  };
  assert.doesNotThrow(() => log.info({ hostile }, "still logged"));
  const line = lines()[0];
  assert.equal(line?.msg, "still logged");
  assert.equal(line?.log_redaction_failed, `getter failed near ${REDACTED}`);
});

test("flushLogs waits until buffered lines are written", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-log-"));
  after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "out.log");
  // minLength keeps lines in memory until a flush, like a busy async stdout.
  const destination = pino.destination({ dest: file, minLength: 4096, sync: false });
  await once(destination, "ready");
  const log = createLogger({ destination });
  log.info("buffered line");
  assert.equal(await readFile(file, "utf8"), "");
  await flushLogs(log);
  assert.match(await readFile(file, "utf8"), /"msg":"buffered line"/);
  destination.end();
});
