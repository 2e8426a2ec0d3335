import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { waitUntil } from "../../test/jobs.js";
import { startReceiver } from "../../test/receivers.js";
import type { AlertMessage } from "./notifier.js";
import { alertmanagerNotifier } from "./notifiers/alertmanager.js";
import { freePort } from "../../test/free-port.js";

const BINARY = "/usr/bin/prometheus-alertmanager";
// Without the binary the test skips locally and says so; in CI (CI set) it fails instead.
const skip =
  existsSync(BINARY) || process.env.CI
    ? false
    : `${BINARY} missing: apt-get install prometheus-alertmanager`;

const message = (status: "firing" | "resolved"): AlertMessage => ({
  version: "4",
  groupKey: '{}:{alertname="JobsStuck"}',
  truncatedAlerts: 0,
  status,
  receiver: "alertmanager",
  groupLabels: { alertname: "JobsStuck" },
  commonLabels: { alertname: "JobsStuck", severity: "warning" },
  commonAnnotations: {},
  externalURL: "http://ops.test",
  alerts: [
    {
      status,
      labels: { alertname: "JobsStuck", severity: "warning", queue: "mail" },
      annotations: { summary: "2 jobs running past their lease" },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : new Date().toISOString(),
      generatorURL: "http://ops.test",
      fingerprint: "abc",
    },
  ],
});

test(
  "a real Alertmanager takes the pushed alert, routes it to its webhook, and ends it on resolve",
  { skip },
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "alertmanager-"));
    const downstream = await startReceiver();
    const port = await freePort();
    await writeFile(
      path.join(dir, "alertmanager.yml"),
      `route:\n  receiver: hook\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${downstream.url}/am\n        send_resolved: true\n`,
    );
    const am = spawn(
      BINARY,
      [
        `--config.file=${path.join(dir, "alertmanager.yml")}`,
        `--storage.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=",
      ],
      { stdio: "ignore" },
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUntil(
        async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.ok === true,
        "alertmanager ready",
      );
      const notifier = alertmanagerNotifier({ url: base });
      const signal = new AbortController().signal;
      await notifier.send(message("firing"), { notificationId: "1", signal });
      const active = async () =>
        (await (await fetch(`${base}/api/v2/alerts?active=true`)).json()) as {
          labels: Record<string, string>;
        }[];
      await waitUntil(
        async () => (await active()).length === 1,
        "the alert is active in Alertmanager",
      );
      assert.equal((await active())[0]!.labels.queue, "mail");
      await waitUntil(
        () => downstream.requests.length >= 1,
        "Alertmanager notified its own webhook",
      );
      assert.equal((downstream.requests[0]!.json as AlertMessage).status, "firing");

      await notifier.send(message("resolved"), { notificationId: "2", signal });
      await waitUntil(async () => (await active()).length === 0, "the alert ended in Alertmanager");
      await waitUntil(
        () => downstream.requests.some((r) => (r.json as AlertMessage).status === "resolved"),
        "Alertmanager sent the resolved",
      );
    } finally {
      am.kill("SIGTERM");
      await new Promise((resolve) => am.once("exit", resolve));
      await downstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
