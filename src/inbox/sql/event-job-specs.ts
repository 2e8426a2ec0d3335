/**
 * The SQL expression that turns event rows into the job specs
 * `opskit.add_jobs` takes (the job queue's SQL entry point), so an event's
 * job is added in the same statement, hence the same transaction, as the
 * event's own write: replays use it; the hot store path inserts the same
 * jobs directly (see store-inbox-events.ts, whose test compares the two).
 * Going through SQL rather than `queue.addMany` also lets
 * the CLI replay events without the service's task definitions. `rows` is the
 * alias of a relation with `id`, `source` and `ordering_key`; `maxAttempts`
 * an expression. The task and the queue are `inbox.<source>` (pausing a
 * source pauses that queue); the FIFO key is the ordering key, so events
 * sharing one run one at a time in the order their jobs were added. No job
 * dedupe key: the task locks its event and skips one already processed.
 */
export function eventJobSpecs(rows: string, maxAttempts: string): string {
  return `coalesce(json_agg(json_build_object(
      'task', 'inbox.' || ${rows}.source,
      'queue', 'inbox.' || ${rows}.source,
      'payload', json_build_object('eventId', ${rows}.id::text),
      'max_attempts', ${maxAttempts},
      'fifo_key', case when ${rows}.ordering_key is null then null
                       else 'inbox.' || ${rows}.source || ':' || ${rows}.ordering_key end)
    order by ${rows}.id), '[]'::json)`;
}
