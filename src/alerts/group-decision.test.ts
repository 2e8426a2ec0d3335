import assert from "node:assert/strict";
import { test } from "node:test";
import { decideGroup, type StoredGroup } from "./group-decision.js";
import { DEFAULT_GROUP_TIMING } from "./notifier.js";

const t0 = new Date("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const none = new Set<string>();
const decide = (stored: StoredGroup | undefined, firing: string[], nowMs: number, muted = none) =>
  decideGroup({ stored, firing, muted, timing: DEFAULT_GROUP_TIMING, now: at(nowMs) });

test("a new group waits group_wait (30 s) from its first alert, then sends every alert that joined", () => {
  const first = decide(undefined, ["1"], 0);
  assert.deepEqual(first, { action: "wait", firstActiveAt: t0 });
  const stored = { firstActiveAt: t0, lastSentAt: null, notified: [], seq: 0 };
  assert.equal(decide(stored, ["1", "2"], 29_999).action, "wait");
  assert.deepEqual(decide(stored, ["1", "2"], 30_000), {
    action: "send",
    firing: ["1", "2"],
    resolved: [],
    notified: ["1", "2"],
  });
});

test("a group resolved within group_wait sends nothing and forgets its wait", () => {
  const stored = { firstActiveAt: t0, lastSentAt: null, notified: [], seq: 0 };
  assert.deepEqual(decide(stored, [], 10_000), { action: "wait", firstActiveAt: null });
});

test("a change waits group_interval (5 m) after the last message; an unchanged group repeats after 4 h", () => {
  const sent = { firstActiveAt: t0, lastSentAt: t0, notified: ["1"], seq: 1 };
  assert.equal(decide(sent, ["1", "2"], 299_999).action, "wait");
  assert.equal(decide(sent, ["1", "2"], 300_000).action, "send");
  assert.equal(decide(sent, ["1"], 300_000).action, "wait", "nothing changed");
  assert.equal(decide(sent, ["1"], 4 * 3_600_000).action, "send", "the repeat");
});

test("every alert notified as firing gets its resolved message, even when silenced meanwhile", () => {
  const sent = { firstActiveAt: t0, lastSentAt: t0, notified: ["1"], seq: 1 };
  // Silenced while still firing: nothing to send (neither firing nor resolved).
  assert.equal(decide(sent, ["1"], 600_000, new Set(["1"])).action, "wait");
  // It resolves while silenced: the resolved message goes.
  assert.deepEqual(decide(sent, [], 600_000, new Set()), {
    action: "send",
    firing: [],
    resolved: ["1"],
    notified: [],
  });
});

test("a silenced alert of a new group is not notified", () => {
  assert.deepEqual(decide(undefined, ["1"], 60_000, new Set(["1"])), {
    action: "wait",
    firstActiveAt: null,
  });
});
