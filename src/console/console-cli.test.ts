import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient } from "../../test/console.js";

const root = path.resolve(import.meta.dirname, "../..");
const TOKEN = "e".repeat(32);
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

function startConsole(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "src/cli/main.ts"),
      "console",
      "--database-url",
      db.url,
      "--port",
      "0",
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH, LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const url = new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const found = / at (http:\/\/\S+)\/ops$/.exec(line);
      if (found) resolve(found[1]!);
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}`)));
  });
  const output: string[] = [];
  lines.on("line", (l) => output.push(l));
  return { child, url, output };
}

test("opskit console serves the console standalone against a service's database and stops on SIGTERM", async () => {
  const { child, url } = startConsole({
    NODE_ENV: "production",
    OPSKIT_CONSOLE_VIEWER_TOKENS: TOKEN,
  });
  const base = await url;
  const browser = consoleClient(base);
  assert.equal((await browser.loginWithToken(TOKEN)).status, 303);
  const page = await browser.get("/ops/database");
  assert.equal(page.status, 200);
  assert.match(page.text, /opskit-console/, "its own connections show on the database screen");
  assert.match((await browser.get("/ops/migrations")).text, /0001_opskit_schema\.sql/);
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number];
  assert.equal(code, 0);
});

test("opskit console prints a one-time token in development; refuses to start without a login elsewhere", async () => {
  const dev = startConsole({ NODE_ENV: "development" });
  await dev.url;
  const tokenLine = await new Promise<string>((resolve) => {
    const check = () => {
      const line = dev.output.find((l) => l.startsWith("development login: token "));
      if (line) resolve(line);
      else setImmediate(check);
    };
    check();
  });
  const token = /token ([0-9a-f]{32})/.exec(tokenLine)![1]!;
  assert.equal((await consoleClient(await dev.url).loginWithToken(token)).status, 303);
  const exited = once(dev.child, "exit");
  dev.child.kill("SIGTERM");
  await exited;

  const closed = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "src/cli/main.ts"), "console", "--database-url", db.url],
    {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  closed.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(closed, "exit")) as [number];
  assert.equal(code, 2);
  assert.match(stderr, /OPSKIT_CONSOLE_ADMIN_TOKENS/);
});
