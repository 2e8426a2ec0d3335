import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

// The image's entrypoint and HEALTHCHECK scripts, run as real processes by the shells the
// image has (dash as /bin/sh, bash), on fake cgroup and meminfo files.
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const entrypoint = path.join(root, "deploy/docker-entrypoint.sh");
const healthcheck = path.join(root, "deploy/healthcheck.sh");
let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-entrypoint-"));
});
after(() => rm(tmp, { recursive: true, force: true }));

let n = 0;
/** A fake /sys/fs/cgroup and /proc/meminfo from `files`; returns their paths. */
async function fakeHost(files: Record<string, string>) {
  const dir = path.join(tmp, String(n++));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  await mkdir(dir, { recursive: true });
  return {
    ENTRYPOINT_CGROUP_ROOT: path.join(dir, "cgroup"),
    ENTRYPOINT_MEMINFO: path.join(dir, "meminfo"),
  };
}

/** Runs the entrypoint with `node -p` as its command: what Node sees as NODE_OPTIONS and heap limit. */
async function start(env: Record<string, string>) {
  const { stdout, stderr } = await run(
    "sh",
    [
      entrypoint,
      process.execPath,
      "-p",
      "JSON.stringify([process.env.NODE_OPTIONS ?? null, Math.round(require('v8').getHeapStatistics().heap_size_limit / 1048576)])",
    ],
    { env: { PATH: process.env.PATH ?? "", ...env } },
  );
  const [nodeOptions, heapLimitMb] = JSON.parse(stdout) as [string | null, number];
  return { nodeOptions, heapLimitMb, stderr };
}

const MiB = 1024 * 1024;
const meminfo = (mib: number) => `MemTotal:       ${mib * 1024} kB\nMemFree:  1000 kB\n`;

test("cgroup v2: memory.max less the reserve (small) or 75 % of it becomes the heap limit, and Node applies it", async () => {
  const host = await fakeHost({ "cgroup/memory.max": `${256 * MiB}\n`, meminfo: meminfo(8192) });
  const { nodeOptions, heapLimitMb, stderr } = await start(host);
  // 256 MiB: 75 % would be 192, but Node needs ~112 besides the old space.
  assert.equal(nodeOptions, "--max-old-space-size=144");
  // V8's limit is the old space plus the young generation: above 144, far below the default.
  assert.ok(heapLimitMb >= 144 && heapLimitMb < 200, `heap limit ${heapLimitMb} MiB`);
  assert.match(stderr, /memory 256 MiB \(cgroup-v2\): --max-old-space-size=144/);
  const big = await fakeHost({ "cgroup/memory.max": `${2048 * MiB}\n` });
  assert.equal((await start(big)).nodeOptions, "--max-old-space-size=1536");
});

test("cgroup v1 limit; v1's 'no limit' and v2's 'max' fall back to the machine's memory (Fly)", async () => {
  const v1 = await fakeHost({ "cgroup/memory/memory.limit_in_bytes": `${512 * MiB}\n` });
  assert.equal((await start(v1)).nodeOptions, "--max-old-space-size=384");
  const v1Unlimited = await fakeHost({
    "cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    meminfo: meminfo(1024),
  });
  assert.equal((await start(v1Unlimited)).nodeOptions, "--max-old-space-size=768");
  const v2Max = await fakeHost({ "cgroup/memory.max": "max\n", meminfo: meminfo(228) });
  const fly = await start(v2Max);
  assert.equal(fly.nodeOptions, "--max-old-space-size=116");
  assert.match(fly.stderr, /\(meminfo\)/);
});

test("NODE_HEAP_PERCENT, NODE_HEAP_RESERVE_MB and NODE_HEAP_MAX_MB; other NODE_OPTIONS are kept", async () => {
  const host = await fakeHost({ "cgroup/memory.max": `${1024 * MiB}` });
  const half = await start({
    ...host,
    NODE_HEAP_PERCENT: "50",
    NODE_OPTIONS: "--enable-source-maps",
  });
  assert.equal(half.nodeOptions, "--enable-source-maps --max-old-space-size=512");
  const big = await fakeHost({ "cgroup/memory.max": `${64 * 1024 * MiB}` });
  assert.equal((await start(big)).nodeOptions, "--max-old-space-size=4096");
  assert.equal(
    (await start({ ...big, NODE_HEAP_MAX_MB: "8192" })).nodeOptions,
    "--max-old-space-size=8192",
  );
  assert.equal((await start({ ...host, NODE_HEAP_PERCENT: "0" })).nodeOptions, null);
  const small = await fakeHost({ "cgroup/memory.max": `${256 * MiB}` });
  assert.equal(
    (await start({ ...small, NODE_HEAP_RESERVE_MB: "64" })).nodeOptions,
    "--max-old-space-size=192",
  );
  assert.equal((await start({ ...small, NODE_HEAP_RESERVE_MB: "x" })).nodeOptions, null);
});

test("an explicit heap limit wins; nonsense and missing files leave Node's default, with a reason", async () => {
  const host = await fakeHost({ "cgroup/memory.max": `${256 * MiB}` });
  const explicit = await start({ ...host, NODE_OPTIONS: "--max-old-space-size=100" });
  assert.equal(explicit.nodeOptions, "--max-old-space-size=100");
  assert.equal(explicit.heapLimitMb < 192, true);
  assert.match(explicit.stderr, /already sets the heap limit/);
  const bad = await start({ ...host, NODE_HEAP_PERCENT: "lots" });
  assert.equal(bad.nodeOptions, null);
  assert.match(bad.stderr, /must be 0-100/);
  assert.equal((await start({ ...host, NODE_HEAP_PERCENT: "150" })).nodeOptions, null);
  const garbage = await fakeHost({ "cgroup/memory.max": "lots\n", meminfo: "nothing here\n" });
  const none = await start(garbage);
  assert.equal(none.nodeOptions, null);
  assert.match(none.stderr, /no memory limit found/);
  const tiny = await fakeHost({ "cgroup/memory.max": `${16 * MiB}` });
  assert.match((await start(tiny)).stderr, /too small/);
});

test("the command is exec'd with its arguments and exit code; no command is exit 2", async () => {
  const host = await fakeHost({ "cgroup/memory.max": `${256 * MiB}` });
  const env = { PATH: process.env.PATH ?? "", ...host };
  const { stdout } = await run("sh", [entrypoint, "sh", "-c", 'echo "$0 $1 $$"', "a b", "c"], {
    env,
  });
  assert.match(stdout, /^a b c \d+\n$/);
  await assert.rejects(run("sh", [entrypoint, "sh", "-c", "exit 7"], { env }), { code: 7 });
  await assert.rejects(run("sh", [entrypoint], { env }), { code: 2 });
});

test("healthcheck.sh: 0 on HTTP 200 at the path, 1 on anything else or nothing listening", async () => {
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/livez" ? 200 : 503).end(req.url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = String((server.address() as AddressInfo).port);
  const env = { PATH: process.env.PATH ?? "", PORT: port };
  try {
    await run("bash", [healthcheck], { env });
    await run("bash", [healthcheck, "/livez"], { env });
    await assert.rejects(
      run("bash", [healthcheck, "/readyz"], { env }),
      (error: Error & { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /unhealthy: HTTP\/1\.1 503/);
        return true;
      },
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  await assert.rejects(run("bash", [healthcheck], { env }), { code: 1 });
});
