import assert from "node:assert/strict";
import { test } from "node:test";
import { JobAbort } from "./job-abort.js";

test("a job's signal is made on first read, and is born aborted when the job already was", () => {
  const early = new JobAbort();
  const seen: unknown[] = [];
  early.onAbort(() => seen.push("runner"));
  const signal = early.signal;
  assert.equal(early.signal, signal, "one signal per job");
  signal.addEventListener("abort", () => seen.push(signal.reason));
  early.abort("first");
  early.abort("second");
  assert.deepEqual(seen, ["first", "runner"]);
  assert.equal(early.reason, "first");

  const late = new JobAbort();
  late.abort("timeout");
  assert.equal(late.aborted, true);
  assert.equal(late.signal.aborted, true);
  assert.equal(late.signal.reason, "timeout");
});
