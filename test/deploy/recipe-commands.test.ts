import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import { withTestDb } from "../../src/testing/index.js";
import { runCli } from "../../src/cli/index.js";
import { captureOutput } from "../helpers.js";
import { commandWords, flyToml, k8sObjects, renderYaml, workflowText } from "./recipes.js";

// Every `opskit …` line the recipes run is a real command with real flags: each is run
// here, in-process, against a real database, and must exit 0.
const fly = flyToml() as { deploy: { release_command: string } };
const render = renderYaml() as { services: { preDeployCommand?: string }[] };
const job = k8sObjects().find((o) => o.object.kind === "Job")!.object as unknown as IJob;

async function opskit(argv: string[], env: Record<string, string> = {}) {
  assert.equal(argv[0], "opskit", argv.join(" "));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { out, err, io } = captureOutput();
    const code = await runCli(argv.slice(1), io);
    return { code, output: [...out, ...err].join("\n") };
  } finally {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

test("the release commands (Fly, Render, the Kubernetes Job) migrate a database", async () => {
  const commands = [
    commandWords(fly.deploy.release_command),
    commandWords(render.services[0]!.preDeployCommand!),
    job.spec!.template.spec!.containers[0]!.args!,
  ];
  for (const argv of commands) {
    await withTestDb(async (db) => {
      const first = await opskit(argv, { DATABASE_URL: db.url });
      assert.equal(first.code, 0, first.output);
      assert.match(first.output, /applied\s+app\/0001_orders\.sql/);
      const again = await opskit(argv, { DATABASE_URL: db.url });
      assert.equal(again.code, 0, again.output);
      assert.match(again.output, /up to date \(0 applied now\)/);
    });
  }
});

test("the workflow's opskit steps run on the demo (its paths in the template's variables)", async () => {
  const workflow = parse(workflowText()) as { jobs: Record<string, { steps: { run?: string }[] }> };
  const lines = Object.values(workflow.jobs)
    .flatMap((j) => j.steps)
    .flatMap((s) => (s.run ?? "").split("\n"))
    .map((l) => l.trim())
    .filter((l) => l.startsWith("npx opskit "));
  assert.equal(lines.length, 4);
  const vars = {
    MIGRATIONS_DIR: "examples/bakery/migrations",
    MANIFEST: "examples/bakery/manifest.ts",
    BASE_REF: "HEAD",
  };
  const server = process.env.TEST_DATABASE_URL;
  for (const line of lines) {
    // The gate's array of optional flags is shell: run it without the override.
    const argv = commandWords(line.replace(/^npx /, "").replace(' "${allow[@]}"', ""), vars).map(
      (w) => w.replace("origin/HEAD", "HEAD"),
    );
    // replay makes its scratch database on the test server instead of an embedded one.
    if (argv[2] === "replay" && server) argv.push("--database-url", server);
    const result = await opskit(argv, { NODE_ENV: "test" });
    assert.equal(result.code, 0, `${argv.join(" ")}\n${result.output}`);
  }
});
