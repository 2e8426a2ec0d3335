import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { createHealth } from "./create-health.js";
import type { HealthCheck, HealthCheckOutcome } from "./health-check.js";

// The response shape of draft-inadarei-api-health-check-06, section 3 and 4,
// written strictly: a field the draft does not define is an error here.
const status = z.enum(["pass", "warn", "fail"]);
const checkValue = z.strictObject({
  componentId: z.string().optional(),
  componentType: z.union([z.enum(["component", "datastore", "system"]), z.url()]).optional(),
  observedValue: z.unknown().optional(),
  observedUnit: z.string().optional(),
  status: status.optional(),
  affectedEndpoints: z.array(z.url()).optional(),
  time: z.iso.datetime().optional(),
  output: z.string().optional(),
  links: z.record(z.string(), z.string()).optional(),
});
const predefinedMeasurements = ["utilization", "responseTime", "connections", "uptime"];
const checkKey = z.string().refine(
  (key) => {
    // `component:measurement` with a predefined or URI measurement, or a lone
    // `uptime` as in the draft's own example.
    if (key === "uptime") return true;
    const match = /^([^:]+):(.+)$/.exec(key);
    const measurement = match?.[2] ?? "";
    return predefinedMeasurements.includes(measurement) || z.url().safeParse(measurement).success;
  },
  { message: "a checks key is component:measurement" },
);
const healthResponse = z
  .strictObject({
    status,
    version: z.string().optional(),
    releaseId: z.string().optional(),
    notes: z.array(z.string()).optional(),
    output: z.string().optional(),
    checks: z.record(checkKey, z.array(checkValue).min(1)).optional(),
    links: z.record(z.string(), z.string()).optional(),
    serviceId: z.string().optional(),
    description: z.string().optional(),
  })
  .refine((body) => body.status !== "pass" || body.output === undefined, {
    message: "output must be omitted on pass",
  });

function fixedCheck(
  name: string,
  outcome: () => Promise<void | HealthCheckOutcome>,
  extra: Partial<HealthCheck> = {},
): HealthCheck {
  return { name, ...extra, run: outcome };
}

async function getHealth(checks: HealthCheck[], started = true) {
  const health = createHealth({
    version: "1.4.0",
    releaseId: "1.4.0-abc1234",
    serviceId: "bakery-api",
    description: "Order production for the bakery",
    notes: ["demo"],
    checks,
  });
  if (started) health.markStarted();
  await health.refresh();
  const res = await health.app.request("/health");
  const body: unknown = await res.json();
  const parsed = healthResponse.safeParse(body);
  assert.ok(parsed.success, `not draft-06 conformant: ${JSON.stringify(parsed.error?.issues)}`);
  assert.equal(res.headers.get("content-type"), "application/health+json");
  return { res, body: parsed.data };
}

describe("/health (draft-inadarei-api-health-check-06)", () => {
  test("pass → 200, no output, identity fields, checks keyed component:measurement plus uptime", async () => {
    const { res, body } = await getHealth([
      fixedCheck("postgres", () => Promise.resolve(), {
        componentType: "datastore",
        componentId: "db-primary",
      }),
    ]);
    assert.equal(res.status, 200);
    assert.equal(body.status, "pass");
    assert.equal(body.output, undefined);
    assert.equal(body.version, "1.4.0");
    assert.equal(body.releaseId, "1.4.0-abc1234");
    assert.equal(body.serviceId, "bakery-api");
    assert.deepEqual(Object.keys(body.checks ?? {}), ["postgres:responseTime", "uptime"]);
    const pg = body.checks?.["postgres:responseTime"]?.[0];
    assert.equal(pg?.componentType, "datastore");
    assert.equal(pg?.componentId, "db-primary");
    assert.equal(pg?.observedUnit, "ms");
    assert.equal(pg?.status, "pass");
    const uptime = body.checks?.uptime?.[0];
    assert.equal(uptime?.componentType, "system");
    assert.equal(uptime?.observedUnit, "s");
    assert.ok(typeof uptime?.observedValue === "number" && uptime.observedValue > 0);
  });

  test("a warning check → warn with 200 and an output", async () => {
    const { res, body } = await getHealth([
      fixedCheck("disk", () => Promise.resolve({ status: "warn", output: "85% full" })),
    ]);
    assert.equal(res.status, 200);
    assert.equal(body.status, "warn");
    assert.equal(body.output, "disk:responseTime: 85% full");
    assert.equal(body.checks?.["disk:responseTime"]?.[0]?.output, "85% full");
  });

  test("a failing non-critical check → warn with 200", async () => {
    const { res, body } = await getHealth([
      fixedCheck("cache", () => Promise.reject(new Error("down")), { critical: false }),
    ]);
    assert.equal(res.status, 200);
    assert.equal(body.status, "warn");
    assert.equal(body.checks?.["cache:responseTime"]?.[0]?.status, "fail");
  });

  test("a failing critical check → fail with 503 and the failure in output", async () => {
    const { res, body } = await getHealth([
      fixedCheck("postgres", () => Promise.reject(new Error("connection refused"))),
      fixedCheck("cache", () => Promise.resolve()),
    ]);
    assert.equal(res.status, 503);
    assert.equal(body.status, "fail");
    assert.equal(body.output, "postgres:responseTime: Error: connection refused");
    assert.equal(body.checks?.["cache:responseTime"]?.[0]?.status, "pass");
  });

  test("starting → fail with 503, whatever the checks say", async () => {
    const { res, body } = await getHealth([fixedCheck("postgres", () => Promise.resolve())], false);
    assert.equal(res.status, 503);
    assert.equal(body.status, "fail");
    assert.match(body.output ?? "", /^starting/);
  });

  test("the conformance schema rejects what the draft forbids", () => {
    assert.equal(healthResponse.safeParse({ status: "ok" }).success, false);
    assert.equal(healthResponse.safeParse({ status: "pass", output: "x" }).success, false);
    assert.equal(
      healthResponse.safeParse({ status: "pass", checks: { "postgres:latency": [{}] } }).success,
      false,
    );
    assert.equal(
      healthResponse.safeParse({ status: "pass", checks: { uptime: [{ time: "yesterday" }] } })
        .success,
      false,
    );
  });
});
