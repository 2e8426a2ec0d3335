/**
 * Resolves once `condition` returns true, checking every 20 ms; rejects after
 * `timeoutMs`. A hang guard for waiting on state (a row, a job's outcome),
 * never a timing assertion: tests wait on what happened, not on a sleep.
 *
 * @example
 * await waitUntil(async () => (await queue.get(id))?.state === "completed", "job completed");
 */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
