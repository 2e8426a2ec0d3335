/** An open incident as stored (pending or firing). */
export interface OpenAlert {
  id: string;
  fingerprint: string;
  rule: string;
  state: "pending" | "firing";
  activeAt: Date;
  lastSeenAt: Date;
}

/** What one evaluation saw for one series of a rule. */
export interface Observation {
  fingerprint: string;
  rule: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
}

export type Transition =
  | { kind: "open"; obs: Observation; state: "pending" | "firing" }
  | { kind: "seen"; id: string; obs: Observation; fire: boolean }
  | { kind: "drop"; id: string }
  | { kind: "resolve"; id: string };

/**
 * Prometheus' alert state machine for one round, as a pure function of the
 * open incidents, what this round saw, and the rules' `for` and
 * `keep_firing_for`:
 *
 *   inactive ──seen──▶ pending ──held `for`──▶ firing ──unseen `keep_firing_for`──▶ resolved
 *                         └──unseen──▶ (dropped: never notified)
 *
 * Rules that failed this round (`failed`) keep their incidents as they are:
 * an error is not a resolution.
 */
export function alertTransitions(input: {
  open: readonly OpenAlert[];
  seen: readonly Observation[];
  rules: ReadonlyMap<string, { forMs: number; keepFiringForMs: number }>;
  failed: ReadonlySet<string>;
  now: Date;
}): Transition[] {
  const out: Transition[] = [];
  const byFingerprint = new Map(input.open.map((a) => [a.fingerprint, a]));
  const seen = new Set<string>();
  const now = input.now.getTime();
  for (const obs of input.seen) {
    seen.add(obs.fingerprint);
    const rule = input.rules.get(obs.rule);
    const forMs = rule?.forMs ?? 0;
    const open = byFingerprint.get(obs.fingerprint);
    if (!open) out.push({ kind: "open", obs, state: forMs === 0 ? "firing" : "pending" });
    else
      out.push({
        kind: "seen",
        id: open.id,
        obs,
        fire: open.state === "pending" && now - open.activeAt.getTime() >= forMs,
      });
  }
  for (const open of input.open) {
    if (seen.has(open.fingerprint) || input.failed.has(open.rule)) continue;
    // A rule removed from the service: its incidents resolve.
    const keep = input.rules.get(open.rule)?.keepFiringForMs ?? 0;
    if (open.state === "pending") out.push({ kind: "drop", id: open.id });
    else if (now - open.lastSeenAt.getTime() >= keep) out.push({ kind: "resolve", id: open.id });
  }
  return out;
}
