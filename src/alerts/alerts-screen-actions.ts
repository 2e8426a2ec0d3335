import { OpskitError } from "../errors.js";
import { createAlertsAdmin } from "./alerts-admin.js";
import type { AlertsDeps } from "./alerts-screen-html.js";

/** The longest silence the console makes: past that, fix the rule (or its threshold). */
export const MAX_SILENCE_MS = 30 * 86_400_000;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `2h`, `1d` as milliseconds; a refusal naming what to send otherwise. */
export function silenceDuration(text: string | undefined): number {
  const m = /^\s*(\d{1,5})\s*([mhd])\s*$/.exec(text ?? "");
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : 0;
  if (ms <= 0 || ms > MAX_SILENCE_MS)
    throw new OpskitError(
      "BAD_REQUEST",
      `The duration "${text ?? ""}" is not one from 1m to 30d (send 30m, 2h, 1d …).`,
    );
  return ms;
}

/**
 * Silence and unsilence. Each goes through an alerts handle bound to the
 * action's `tx`: the silence and its audit row commit together. A refusal
 * (no reason, a bad duration, an unknown alert) throws a 4xx error: the
 * transaction rolls back, nothing is written but the refusal's audit row,
 * and the operator reads why on the next page.
 */
export function registerAlertsActions(deps: AlertsDeps): void {
  const { router } = deps;

  router.action("/alerts/silence", "alerts.silence", async (_c, { tx, form, session }) => {
    const reason = (form.reason ?? "").trim();
    if (!reason)
      throw new OpskitError("BAD_REQUEST", "A silence needs a reason: say why it is muted.");
    if (reason.length > 1000)
      throw new OpskitError("BAD_REQUEST", "The reason is over 1000 characters.");
    const ms = silenceDuration(form.duration);
    const alerts = createAlertsAdmin(tx);
    let matchers: Record<string, string>;
    if (form.alert) {
      const alert = await alerts.show(form.alert);
      if (!alert) throw new OpskitError("NOT_FOUND", `No alert ${form.alert}.`);
      matchers = form.match === "rule" ? { alertname: alert.rule } : { ...alert.labels };
    } else {
      const rule = (form.rule ?? "").trim();
      if (!rule)
        throw new OpskitError("BAD_REQUEST", "Say what to silence: an alert or a rule name.");
      matchers = { alertname: rule };
    }
    const silence = await alerts.silence({
      matchers,
      endsAt: new Date(Date.now() + ms),
      createdBy: session.actor,
      comment: reason,
    });
    const what = Object.entries(matchers)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    return {
      target: `silence ${silence.id}`,
      params: { matchers },
      result: "silenced",
      flash: `Silenced ${what} for ${form.duration?.trim()} (silence ${silence.id}).`,
    };
  });

  router.action(
    "/alerts/silences/:id{[0-9]{1,19}}/unsilence",
    "alerts.unsilence",
    async (c, { tx, session }) => {
      const id = c.req.param("id")!;
      const ended = await createAlertsAdmin(tx).unsilence(id, session.actor);
      return {
        target: `silence ${id}`,
        result: ended ? "unsilenced" : "not_active",
        flash: ended ? `Silence ${id} ended.` : `Silence ${id} is not active: nothing to end.`,
      };
    },
  );
}
