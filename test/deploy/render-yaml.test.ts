import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { bakeryManifest } from "../../examples/bakery/manifest.js";
import { baseManifest, extendManifest, loadConfig, parseDuration } from "../../src/config/index.js";
import { renderYaml, root } from "./recipes.js";

/*
 * Render publishes its Blueprint JSON schema on its own site, not on npm, and nothing
 * on npm ships it. So: the fields this recipe uses, as Render's Blueprint reference
 * documents them, every object strict (a misspelt key fails here).
 */
const region = z.enum(["oregon", "ohio", "virginia", "frankfurt", "singapore"]);
const envVar = z.union([
  z.strictObject({ key: z.string(), value: z.string() }),
  z.strictObject({ key: z.string(), sync: z.literal(false) }),
  z.strictObject({
    key: z.string(),
    fromDatabase: z.strictObject({
      name: z.string(),
      property: z.enum(["connectionString", "host", "port", "user", "password", "database"]),
    }),
  }),
  z.strictObject({ fromGroup: z.string() }),
]);
const dockerService = {
  name: z.string().regex(/^[a-z0-9-]+$/),
  runtime: z.literal("docker"),
  plan: z.enum(["free", "starter", "standard", "pro", "pro plus", "pro max", "pro ultra"]),
  region,
  dockerfilePath: z.string(),
  dockerContext: z.string(),
  dockerCommand: z.string(),
  maxShutdownDelaySeconds: z.number().int().min(1).max(300),
  envVars: z.array(envVar),
};
const blueprint = z.strictObject({
  services: z.array(
    z.discriminatedUnion("type", [
      z.strictObject({
        ...dockerService,
        type: z.literal("web"),
        preDeployCommand: z.string(),
        healthCheckPath: z.string().startsWith("/"),
        numInstances: z.number().int().min(1),
      }),
      z.strictObject({ ...dockerService, type: z.literal("worker") }),
    ]),
  ),
  databases: z.array(
    z.strictObject({
      name: z.string(),
      plan: z.string().regex(/^(free|basic-\d+(mb|gb)|pro-\d+gb|accelerated-\d+gb)$/),
      region,
      postgresMajorVersion: z.string().regex(/^\d+$/),
    }),
  ),
  envVarGroups: z.array(
    z.strictObject({
      name: z.string(),
      envVars: z.array(z.strictObject({ key: z.string(), value: z.string() })),
    }),
  ),
});

const render = blueprint.parse(renderYaml());
const manifest = extendManifest(baseManifest, bakeryManifest);
type EnvVar = z.infer<typeof envVar>;

test("render.yaml has only the Blueprint fields Render documents, with their types", () => {
  assert.throws(() => blueprint.parse({ ...render, service: [] }), /service/);
  for (const s of render.services) {
    assert.ok(existsSync(path.join(root, s.dockerContext, s.dockerfilePath)), s.dockerfilePath);
  }
});

test("a web service (role api, health check /readyz, migrations before deploy) and a worker", () => {
  const role = (vars: EnvVar[]) =>
    vars.find((v): v is { key: string; value: string } => "key" in v && v.key === "OPSKIT_ROLE")
      ?.value;
  const [web, worker] = render.services;
  assert.equal(web?.type, "web");
  assert.equal(role(web.envVars), "api");
  assert.equal(web.healthCheckPath, "/readyz");
  assert.match(web.preDeployCommand, /^opskit migrate up /);
  assert.equal(worker?.type, "worker");
  assert.equal(role(worker.envVars), "worker");
});

test("every reference resolves and each service's environment is a config the demo boots with", () => {
  const groups = new Map(render.envVarGroups.map((g) => [g.name, g.envVars]));
  const databases = new Set(render.databases.map((d) => d.name));
  for (const service of render.services) {
    const env: Record<string, string> = {};
    for (const v of service.envVars) {
      if ("fromGroup" in v) {
        const group = groups.get(v.fromGroup);
        assert.ok(group, `group ${v.fromGroup} exists`);
        for (const g of group) env[g.key] = g.value;
      } else if ("fromDatabase" in v) {
        assert.ok(databases.has(v.fromDatabase.name), `database ${v.fromDatabase.name} exists`);
        env[v.key] = "postgres://u:p@dpg-x.frankfurt-postgres.render.com/bakery";
      } else if ("sync" in v) {
        // Set in Render's dashboard: here, the manifest's example, or 32 random bytes in hex.
        const declared = manifest.vars[v.key as keyof typeof manifest.vars] as
          { example?: string } | undefined;
        assert.ok(declared, `${v.key} is an opskit variable`);
        env[v.key] = declared.example ?? randomBytes(32).toString("hex");
      } else env[v.key] = v.value;
    }
    const result = loadConfig(manifest, env);
    assert.ok(result.ok, `${service.name}: ${JSON.stringify(result.ok ? null : result.report)}`);
    assert.ok(
      service.maxShutdownDelaySeconds * 1000 > parseDuration(env.OPSKIT_SHUTDOWN_TIMEOUT ?? "25s"),
      "Render waits longer than opskit's shutdown budget",
    );
  }
});
