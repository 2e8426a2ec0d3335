import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { bakeryManifest } from "../../examples/bakery/manifest.js";
import { baseManifest, extendManifest, loadConfig, parseDuration } from "../../src/config/index.js";
import { commandWords, flyToml, root } from "./recipes.js";

/*
 * No JSON schema for fly.toml ships on npm (SchemaStore's is not packaged; the
 * @schemastore/* packages cover a few other files). So: the fields this recipe uses,
 * typed as Fly's configuration reference documents them, every table strict, so a
 * misspelt or invented key fails here as `fly deploy` would reject or ignore it.
 */
const duration = z.string().regex(/^\d+(ms|s|m|h)$/);
const processList = z.array(z.string().min(1)).min(1);
const checkBase = {
  grace_period: duration,
  interval: duration,
  timeout: duration,
  processes: processList.optional(),
};
const flySchema = z.strictObject({
  app: z.string().regex(/^[a-z0-9-]+$/),
  primary_region: z.string().length(3),
  kill_signal: z.enum(["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGKILL", "SIGSTOP"]),
  kill_timeout: z.number().int().min(1).max(300),
  build: z.strictObject({ dockerfile: z.string() }),
  deploy: z.strictObject({
    release_command: z.string().min(1),
    strategy: z.enum(["canary", "rolling", "bluegreen", "immediate"]),
  }),
  env: z.record(z.string(), z.string()),
  processes: z.record(z.string(), z.string()),
  http_service: z.strictObject({
    internal_port: z.number().int(),
    force_https: z.boolean(),
    auto_stop_machines: z.union([z.boolean(), z.enum(["off", "stop", "suspend"])]),
    auto_start_machines: z.boolean(),
    min_machines_running: z.number().int().min(0),
    processes: processList,
    concurrency: z.strictObject({
      type: z.enum(["connections", "requests"]),
      soft_limit: z.number().int(),
      hard_limit: z.number().int(),
    }),
    checks: z.array(
      z.strictObject({
        ...checkBase,
        method: z.enum(["GET", "HEAD", "get", "head"]),
        path: z.string().startsWith("/"),
      }),
    ),
  }),
  checks: z.record(
    z.string(),
    z.discriminatedUnion("type", [
      z.strictObject({ ...checkBase, type: z.literal("tcp"), port: z.number().int() }),
      z.strictObject({
        ...checkBase,
        type: z.literal("http"),
        port: z.number().int(),
        method: z.enum(["get", "head", "GET", "HEAD"]),
        path: z.string().startsWith("/"),
      }),
    ]),
  ),
  vm: z.array(
    z.strictObject({
      memory: z.string().regex(/^\d+(mb|gb)$/),
      cpu_kind: z.enum(["shared", "performance"]),
      cpus: z.number().int().min(1),
      processes: processList,
    }),
  ),
  metrics: z.array(
    z.strictObject({ port: z.number().int(), path: z.string(), processes: processList }),
  ),
});

const fly = flySchema.parse(flyToml());

test("fly.toml parses as TOML and has only the fields Fly documents, with their types", () => {
  assert.throws(() => flySchema.parse({ ...flyToml(), kill_timeot: 30 }), /kill_timeot/);
  assert.equal(fly.build.dockerfile, "deploy/Dockerfile");
  assert.ok(existsSync(path.join(root, fly.build.dockerfile)));
});

test("one process group per role, each running the demo with OPSKIT_ROLE, each on a 256 MB machine", () => {
  assert.deepEqual(Object.keys(fly.processes).sort(), ["api", "worker"]);
  for (const [group, command] of Object.entries(fly.processes)) {
    const [env, role, node, main] = commandWords(command);
    assert.equal(env, "env");
    assert.equal(role, `OPSKIT_ROLE=${group}`);
    assert.ok(baseManifest.vars.OPSKIT_ROLE.parse(group).ok, `${group} is a role`);
    assert.equal(node, "node");
    // dist/examples/bakery/main.js is compiled from examples/bakery/main.ts.
    assert.ok(existsSync(path.join(root, main!.replace(/^dist\//, "").replace(/\.js$/, ".ts"))));
    const vm = fly.vm.filter((v) => v.processes.includes(group));
    assert.equal(vm.length, 1, `one [[vm]] for ${group}`);
    assert.equal(vm[0]!.memory, "256mb");
  }
  assert.deepEqual(fly.http_service.processes, ["api"]);
});

test("checks: routing on /readyz; machine checks tcp, /livez and /readyz on the service's port", () => {
  const port = Number(fly.env.PORT);
  assert.equal(fly.http_service.internal_port, port);
  assert.deepEqual(
    fly.http_service.checks.map((c) => c.path),
    ["/readyz"],
  );
  const machine = Object.values(fly.checks);
  assert.ok(machine.every((c) => c.port === port));
  assert.deepEqual(machine.map((c) => (c.type === "http" ? c.path : "tcp")).sort(), [
    "/livez",
    "/readyz",
    "tcp",
  ]);
});

test("the kill timeout is above the shutdown budget, which is above the drain delay", () => {
  const budget = parseDuration(fly.env.OPSKIT_SHUTDOWN_TIMEOUT!);
  const drain = parseDuration(fly.env.OPSKIT_SHUTDOWN_DRAIN_DELAY!);
  assert.equal(fly.kill_signal, "SIGTERM");
  assert.ok(fly.kill_timeout * 1000 > budget, `kill_timeout ${fly.kill_timeout}s > ${budget} ms`);
  assert.ok(budget > drain);
  // The [env] (with each group's role, and the secrets fly sets) is a config the demo boots with.
  for (const role of Object.keys(fly.processes)) {
    const env = {
      ...fly.env,
      OPSKIT_ROLE: role,
      DATABASE_URL: "postgres://u:p@db.internal/bakery",
    };
    const result = loadConfig(extendManifest(baseManifest, bakeryManifest), env);
    assert.ok(result.ok, JSON.stringify(result.ok ? null : result.report));
  }
});
