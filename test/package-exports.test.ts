import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

const root = path.resolve(import.meta.dirname, "..");
let project: string;

// The smoke test runs on what a user installs: the packed tarball, unpacked as
// node_modules/opskit of a scratch project whose other dependencies are links
// to ours. A file missing from package.json's "files" fails here.
before(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), "opskit-pack-"));
  const pack = spawnSync(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", project],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  assert.equal(pack.status, 0, pack.stderr);
  const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];
  const modules = path.join(project, "node_modules");
  await mkdir(path.join(modules, "opskit"), { recursive: true });
  const untar = spawnSync("tar", [
    "xzf",
    path.join(project, filename),
    "-C",
    path.join(modules, "opskit"),
    "--strip-components=1",
  ]);
  assert.equal(untar.status, 0, String(untar.stderr));
  for (const entry of await readdir(path.join(root, "node_modules"))) {
    if (entry === "opskit" || entry.startsWith(".")) continue;
    await symlink(path.join(root, "node_modules", entry), path.join(modules, entry));
  }
});
after(() => rm(project, { recursive: true, force: true }));

test("every subpath export of the packed tarball imports in plain node", async () => {
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  const names = Object.keys(pkg.exports).map((k) =>
    k === "." ? "opskit" : `opskit/${k.slice(2)}`,
  );
  const script = `for (const n of ${JSON.stringify(names)}) { const m = await import(n); if (!Object.keys(m).length) throw new Error(n + " exports nothing"); }`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: project,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
});

test("the packed bin runs, and the toolkit's own migrations ship with it", async () => {
  const bin = path.join(project, "node_modules", "opskit", "dist", "src", "cli", "main.js");
  const run = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /config check/);
  assert.match(run.stdout, /health wait/);
  const script = `const { toolkitMigrationsDir, loadMigrationFiles } = await import("opskit/migrate"); const f = await loadMigrationFiles(toolkitMigrationsDir); if (!f.length) throw new Error("no toolkit migrations in " + toolkitMigrationsDir); console.log(toolkitMigrationsDir);`;
  const found = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: project,
    encoding: "utf8",
  });
  assert.equal(found.status, 0, found.stderr);
  assert.ok(found.stdout.startsWith(path.join(project, "node_modules", "opskit")), found.stdout);
});
