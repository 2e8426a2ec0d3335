import {
  configuredNotifiers,
  createAlertsAdmin,
  prometheusRules,
  type AlertMessage,
} from "../../alerts/index.js";
import { baseManifest, loadConfig } from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import {
  databaseOptions as common,
  parseDurationFlag,
  print,
  table,
  withCliPool,
} from "../command-kit.js";

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([k]) => k !== "alertname")
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

export const alertsRules: Command = {
  name: "alerts rules",
  summary: "The built-in alert pack as a Prometheus rule file (promtool-valid)",
  usage: `opskit alerts rules --format prometheus [--runbook-base-url URL]`,
  async run(args, io) {
    const { values } = parse(args, {
      format: { type: "string" },
      "runbook-base-url": { type: "string" },
    });
    if (values.format !== "prometheus")
      throw new UsageError("--format prometheus is the one format.");
    io.out(
      prometheusRules(
        values["runbook-base-url"] ? { runbookBaseUrl: values["runbook-base-url"] } : {},
      ).replace(/\n$/, ""),
    );
    return EXIT.ok;
  },
};

export const alertsList: Command = {
  name: "alerts list",
  summary: "Firing, pending and silenced alerts, the silences, and each rule's last evaluation",
  usage: `opskit alerts list [--state firing|pending|resolved] [--database-url URL] [--json]

Exit 1 when an alert fires (the Watchdog, always firing, aside).`,
  async run(args, io) {
    const { values } = parse(args, { ...common, state: { type: "string" } });
    const state = values.state as "firing" | "pending" | "resolved" | undefined;
    if (state !== undefined && !["firing", "pending", "resolved"].includes(state))
      throw new UsageError("--state must be firing, pending or resolved.");
    const data = await withCliPool(values, async (pool) => {
      const admin = createAlertsAdmin(pool);
      return {
        alerts: await admin.list(state ? { state } : {}),
        silences: (await admin.silences(50)).filter((s) => !s.expired_at && s.ends_at > new Date()),
        rules: await admin.rules(),
      };
    });
    const firing = data.alerts.filter((a) => a.state === "firing" && a.rule !== "Watchdog");
    print(
      io,
      values.json,
      data,
      [
        data.alerts.length
          ? table(
              data.alerts.map((a) => ({
                ...a,
                labels: labelsText(a.labels),
                summary: a.annotations.summary,
              })),
              ["id", "state", "rule", "labels", "summary", "active_at", "fired_at", "resolved_at"],
            )
          : "no alerts",
        "",
        data.silences.length
          ? table(data.silences, ["id", "matchers", "ends_at", "created_by", "comment"])
          : "no silences",
        "",
        table(
          data.rules.map((r) => ({ ...r, last_error: r.last_error ?? "" })),
          ["name", "severity", "last_evaluated_at", "evaluated_by", "last_error"],
        ),
      ].join("\n"),
    );
    return firing.length > 0 ? EXIT.failure : EXIT.ok;
  },
};

export const alertsShow: Command = {
  name: "alerts show",
  summary: "One alert with its notifications and their delivery state",
  usage: `opskit alerts show ID [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, common);
    if (positionals.length !== 1) throw new UsageError("Give one alert id.");
    const alert = await withCliPool(values, (pool) =>
      createAlertsAdmin(pool).show(positionals[0]!),
    );
    if (!alert) {
      io.err(`no alert ${positionals[0]}`);
      return EXIT.failure;
    }
    print(
      io,
      values.json,
      { alert },
      [
        `${alert.rule} ${labelsText(alert.labels)} — ${alert.state}`,
        alert.annotations.summary ?? "",
        alert.annotations.runbook_url ? `runbook: ${alert.annotations.runbook_url}` : "",
        "",
        alert.notifications.length
          ? table(alert.notifications, [
              "id",
              "receiver",
              "status",
              "delivery",
              "attempts",
              "sent_at",
              "last_error",
            ])
          : "no notifications",
      ].join("\n"),
    );
    return EXIT.ok;
  },
};

export const alertsSilence: Command = {
  name: "alerts silence",
  summary: "Silence alerts matching labels for a while, with a reason",
  usage: `opskit alerts silence LABEL=VALUE... --for DURATION --reason TEXT [--by NAME] [--database-url URL] [--json]

Alerts whose labels equal every LABEL=VALUE are not notified until the
silence ends (a resolved message still follows every firing one).`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...common,
      for: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
    });
    const matchers: Record<string, string> = {};
    for (const p of positionals) {
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.+)$/.exec(p);
      if (!m) throw new UsageError(`${p}: matchers are LABEL=VALUE.`);
      matchers[m[1]!] = m[2]!;
    }
    if (positionals.length === 0) throw new UsageError("Give at least one LABEL=VALUE matcher.");
    const ms = parseDurationFlag(values.for, "--for");
    if (ms === undefined) throw new UsageError("Give --for DURATION (e.g. 2h).");
    if (!values.reason) throw new UsageError("Give --reason TEXT: a silence says why.");
    const silence = await withCliPool(values, (pool) =>
      createAlertsAdmin(pool).silence({
        matchers,
        endsAt: new Date(Date.now() + ms),
        createdBy: values.by ?? process.env.USER ?? "cli",
        comment: values.reason!,
      }),
    );
    print(
      io,
      values.json,
      { silence },
      `silence ${silence.id} until ${silence.ends_at.toISOString()}`,
    );
    return EXIT.ok;
  },
};

export const alertsUnsilence: Command = {
  name: "alerts unsilence",
  summary: "End a silence now",
  usage: `opskit alerts unsilence ID [--by NAME] [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...common, by: { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("Give one silence id.");
    const silence = await withCliPool(values, (pool) =>
      createAlertsAdmin(pool).unsilence(positionals[0]!, values.by ?? process.env.USER ?? "cli"),
    );
    if (!silence) {
      io.err(`no active silence ${positionals[0]}`);
      return EXIT.failure;
    }
    print(io, values.json, { silence }, `silence ${silence.id} ended`);
    return EXIT.ok;
  },
};

export const alertsTest: Command = {
  name: "alerts test",
  summary: "Send a test notification through every configured notifier and say which answered",
  usage: `opskit alerts test [--json]

Reads OPSKIT_ALERTS_* from the environment. Exit 1 when a notifier did not
accept the message, 2 when none is configured or the configuration is invalid.`,
  async run(args, io) {
    const { values } = parse(args, { json: { type: "boolean" } });
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k.startsWith("OPSKIT_ALERTS_")),
    );
    const loaded = loadConfig(baseManifest, env);
    if (!loaded.ok)
      throw new UsageError(
        "The OPSKIT_ALERTS_* configuration is invalid: run opskit config check.",
      );
    const notifiers = configuredNotifiers(loaded.config);
    if (notifiers.length === 0)
      throw new UsageError("No notifier is configured (OPSKIT_ALERTS_*; docs/alerts.md).");
    const now = new Date().toISOString();
    const results: { receiver: string; ok: boolean; error?: string }[] = [];
    for (const notifier of notifiers) {
      const labels = {
        alertname: "OpskitTestNotification",
        severity: notifier.severities?.[0] ?? "info",
      };
      const message: AlertMessage = {
        version: "4",
        groupKey: '{}:{alertname="OpskitTestNotification"}',
        truncatedAlerts: 0,
        status: "firing",
        receiver: notifier.name,
        groupLabels: { alertname: labels.alertname },
        commonLabels: labels,
        commonAnnotations: { summary: "A test notification from opskit alerts test" },
        externalURL: "",
        alerts: [
          {
            status: "firing",
            labels,
            annotations: { summary: "A test notification from opskit alerts test" },
            startsAt: now,
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "",
            fingerprint: "0000000000000000",
          },
        ],
      };
      try {
        await notifier.send(message, {
          notificationId: `test-${Date.now()}`,
          signal: AbortSignal.timeout(15_000),
        });
        results.push({ receiver: notifier.name, ok: true });
      } catch (error) {
        results.push({ receiver: notifier.name, ok: false, error: (error as Error).message });
      }
    }
    print(
      io,
      values.json,
      { results },
      table(results.map((r) => ({ ...r, error: r.error ?? "" }))),
    );
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.failure;
  },
};

export const alertsCommands = [
  alertsRules,
  alertsList,
  alertsShow,
  alertsSilence,
  alertsUnsilence,
  alertsTest,
];
