import type { GroupTiming } from "./notifier.js";

/** A group as stored: what was last notified as firing, and when. */
export interface StoredGroup {
  firstActiveAt: Date | null;
  lastSentAt: Date | null;
  notified: readonly string[];
  seq: number;
}

export type GroupDecision =
  | { action: "wait"; firstActiveAt: Date | null }
  | { action: "send"; firing: string[]; resolved: string[]; notified: string[] };

/**
 * Alertmanager's aggregation-group timers for one group and one receiver,
 * as a pure function. A fresh group (nothing outstanding) waits `groupWait`
 * from its first alert, so alerts that arrive together go out together, and
 * a group resolved within it sends nothing; a change (an alert firing or
 * resolving) waits `groupInterval` after the last message; an unchanged
 * firing group repeats after `repeatInterval`. Every alert notified as
 * firing gets its resolved message, even if it was silenced meanwhile; a
 * silenced alert is not notified while it fires.
 */
export function decideGroup(input: {
  stored: StoredGroup | undefined;
  /** Ids of the group's firing alerts routed to this receiver. */
  firing: readonly string[];
  /** Ids among `firing` that a silence mutes. */
  muted: ReadonlySet<string>;
  timing: GroupTiming;
  now: Date;
}): GroupDecision {
  const { stored, timing } = input;
  const now = input.now.getTime();
  const firingSet = new Set(input.firing);
  const notified = stored?.notified ?? [];
  const toFire = input.firing.filter((id) => !input.muted.has(id));
  const resolved = notified.filter((id) => !firingSet.has(id));
  const next = [...new Set([...toFire, ...notified.filter((id) => firingSet.has(id))])].sort();
  const changed = resolved.length > 0 || !sameSet(next, notified);
  const firstActiveAt = stored?.firstActiveAt ?? null;

  if (toFire.length === 0 && resolved.length === 0) {
    // Nothing to say. A fresh group whose alerts went away within group_wait resets.
    return { action: "wait", firstActiveAt: notified.length ? firstActiveAt : null };
  }
  const send = (): GroupDecision => ({ action: "send", firing: toFire, resolved, notified: next });
  if (notified.length === 0) {
    const started = firstActiveAt ?? input.now;
    return now - started.getTime() >= timing.groupWaitMs
      ? send()
      : { action: "wait", firstActiveAt: started };
  }
  const since = stored?.lastSentAt ? now - stored.lastSentAt.getTime() : Infinity;
  if (changed) return since >= timing.groupIntervalMs ? send() : { action: "wait", firstActiveAt };
  return toFire.length > 0 && since >= timing.repeatIntervalMs
    ? send()
    : { action: "wait", firstActiveAt };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((x) => set.has(x));
}
