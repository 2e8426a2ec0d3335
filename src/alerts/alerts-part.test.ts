import assert from "node:assert/strict";
import { test } from "node:test";
import { withTestDb } from "../../test/db.js";
import { startReceiver } from "../../test/receivers.js";
import { waitUntil } from "../testing/index.js";
import { startService } from "../service/index.js";
import { sqlRule } from "./alert-rule.js";
import type { AlertMessage } from "./notifier.js";

const env = (url: string, hook: string) => ({
  DATABASE_URL: url,
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "silent",
  NODE_ENV: "test",
  OPSKIT_ROLE: "all",
  OPSKIT_JOBS_POLL_INTERVAL: "50ms",
  OPSKIT_ALERTS_EVALUATION_INTERVAL: "100ms",
  OPSKIT_ALERTS_WEBHOOK_URL: hook,
});

test("in a service, a rule of its own fires: /health warns naming it, and the configured webhook gets it", async () => {
  const hook = await startReceiver();
  try {
    await withTestDb(async (db) => {
      const service = await startService({
        name: "svc",
        version: "1.0.0",
        env: env(db.url, hook.url),
        alerts: {
          timing: { groupWaitMs: 0, groupIntervalMs: 0 },
          builtin: { overrides: { Watchdog: false } },
          rules: [
            sqlRule({
              name: "OrdersStuck",
              severity: "warning",
              summary: "{{ $value }} orders stuck",
              description: "d",
              sql: "select 2::float8 as value, 'Covering' as stage",
            }),
          ],
        },
      });
      try {
        await waitUntil(() => hook.accepted().length === 1, "the webhook got the alert");
        const message = hook.requests[0]!.json as AlertMessage;
        assert.deepEqual(message.alerts[0]!.labels, {
          alertname: "OrdersStuck",
          severity: "warning",
          stage: "Covering",
        });
        await service.health.refresh();
        const health = (await (await fetch(`${service.url}/health`)).json()) as {
          status: string;
          checks: Record<string, { status: string; output?: string }[]>;
        };
        const check = health.checks["alerts:firing"]![0]!;
        assert.equal(check.status, "warn");
        assert.match(check.output ?? "", /OrdersStuck\{stage=Covering\}/);
        assert.equal(
          (await fetch(`${service.url}/readyz`)).status,
          200,
          "a firing alert does not fail readiness",
        );
      } finally {
        assert.equal(await service.stop(), true);
      }
    });
  } finally {
    await hook.close();
  }
});
