import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "..");

test("every subpath export resolves by package name to a built module", async () => {
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  const names = Object.keys(pkg.exports).map((k) =>
    k === "." ? "opskit" : `opskit/${k.slice(2)}`,
  );
  // Imported from a separate plain-node process so it loads dist/, not sources through tsx.
  const script = `for (const n of ${JSON.stringify(names)}) { const m = await import(n); if (!Object.keys(m).length) throw new Error(n + " exports nothing"); }`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
});

test("the opskit bin runs and prints its commands", () => {
  const run = spawnSync(process.execPath, [path.join(root, "dist/src/cli/main.js"), "--help"], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /config check/);
  assert.match(run.stdout, /health wait/);
});
