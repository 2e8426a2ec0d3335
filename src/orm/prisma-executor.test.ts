import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { executorContract } from "../../test/orm-contract.js";
import { PrismaClient } from "../../test/fixtures/prisma/client/client.js";
import { fromPrisma } from "./prisma-executor.js";

executorContract({
  name: "Prisma 7 (adapter-pg)",
  open(url) {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    return Promise.resolve({
      transaction: (fn) =>
        prisma.$transaction((tx) =>
          fn({
            executor: fromPrisma(tx),
            async insertOrder(ref, total, details) {
              await tx.order.create({ data: { ref, total, details: details ?? undefined } });
            },
          }),
        ),
      close: () => prisma.$disconnect(),
    });
  },
});

const root = path.resolve(import.meta.dirname, "../..");
const fixture = path.join(root, "test/fixtures/prisma");

async function filesOf(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = new Map<string, string>();
  for (const e of entries.filter((e) => e.isFile())) {
    const full = path.join(e.parentPath, e.name);
    files.set(path.relative(dir, full), await readFile(full, "utf8"));
  }
  return files;
}

test("the committed Prisma client is what `prisma generate` makes from the fixture schema", async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-prisma-"));
  try {
    // The schema as is (the client embeds its text): its output "./client" lands in tmp.
    await copyFile(path.join(fixture, "schema.prisma"), path.join(tmp, "schema.prisma"));
    // generate needs no engine (the client is TypeScript and a WASM query compiler);
    // the variable only stops the CLI from downloading the schema engine first.
    const run = spawnSync(
      process.execPath,
      [
        path.join(root, "node_modules/prisma/build/index.js"),
        "generate",
        "--schema",
        path.join(tmp, "schema.prisma"),
      ],
      {
        cwd: tmp,
        encoding: "utf8",
        env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", CI: "1" },
      },
    );
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const made = await filesOf(path.join(tmp, "client"));
    const committed = await filesOf(path.join(fixture, "client"));
    assert.deepEqual([...made.keys()].sort(), [...committed.keys()].sort());
    for (const [file, text] of made) assert.equal(text, committed.get(file), file);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
