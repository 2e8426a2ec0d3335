-- opskit:statement-timeout 5min
-- Alerts (docs/alerts.md): rules evaluated inside the service by one leader
-- at a time; their state, silences, notification groups and notifications
-- live here so that a new leader continues where the last one stopped
-- instead of firing again, and a restart loses no notification.

-- One row per incident of one alert (rule + labels = fingerprint): pending,
-- then firing, then resolved. A resolved row is history; the next incident of
-- the same fingerprint is a new row, so each notification names its incident.
create table opskit.alerts (
  id bigint generated always as identity primary key,
  fingerprint text not null,
  rule text not null,
  labels jsonb not null,
  annotations jsonb not null,
  state text not null check (state in ('pending', 'firing', 'resolved')),
  value double precision,
  -- When the condition first held (the start of `for`).
  active_at timestamptz not null,
  fired_at timestamptz,
  -- The last evaluation that saw the condition (the start of `keep_firing_for`).
  last_seen_at timestamptz not null,
  resolved_at timestamptz,
  updated_at timestamptz not null default now()
);
-- At most one open incident per fingerprint, also against two leaders for a moment.
create unique index alerts_open_fingerprint_idx on opskit.alerts (fingerprint)
  where state <> 'resolved';
create index alerts_resolved_at_idx on opskit.alerts (resolved_at) where state = 'resolved';

-- The rules as the leader last evaluated them: what the CLI and the console
-- list, and the evaluator's own heartbeat (last_evaluated_at).
create table opskit.alert_rules (
  name text primary key,
  severity text not null,
  for_ms bigint not null,
  keep_firing_for_ms bigint not null,
  summary text not null,
  runbook_url text,
  last_evaluated_at timestamptz,
  last_duration_ms real,
  last_error text,
  evaluated_by text,
  updated_at timestamptz not null default now()
);

-- An operator's silence: alerts whose labels equal every matcher are not
-- notified until ends_at (or until unsilenced: expired_at).
create table opskit.alert_silences (
  id bigint generated always as identity primary key,
  matchers jsonb not null check (jsonb_typeof(matchers) = 'object'),
  starts_at timestamptz not null default now(),
  ends_at timestamptz not null,
  created_by text not null,
  comment text not null,
  created_at timestamptz not null default now(),
  expired_at timestamptz,
  expired_by text,
  check (ends_at > starts_at)
);
create index alert_silences_ends_at_idx on opskit.alert_silences (ends_at) where expired_at is null;

-- Alertmanager's aggregation group, per receiver: what was last notified
-- (the alert ids sent as firing) and when, so group_wait, group_interval and
-- repeat_interval survive a restart or a change of leader.
create table opskit.alert_groups (
  receiver text not null,
  group_key text not null,
  group_labels jsonb not null,
  -- When the group first had a firing alert not yet notified (group_wait starts).
  first_active_at timestamptz,
  last_sent_at timestamptz,
  notified bigint[] not null default '{}',
  seq bigint not null default 0,
  primary key (receiver, group_key)
);

-- One row per message to one receiver: a group's state change (or repeat).
-- Unique per (receiver, group_key, seq): the group row is locked while seq
-- is taken, so two leaders cannot both send the same change. A job of the
-- queue delivers it (retries with backoff; in order per group: fifo key).
create table opskit.alert_notifications (
  id bigint generated always as identity primary key,
  receiver text not null,
  group_key text not null,
  seq bigint not null,
  status text not null check (status in ('firing', 'resolved')),
  alert_ids bigint[] not null,
  payload jsonb not null,
  delivery text not null default 'queued' check (delivery in ('queued', 'sent', 'failed', 'dead')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  constraint alert_notifications_group_seq_key unique (receiver, group_key, seq)
);
create index alert_notifications_created_at_idx on opskit.alert_notifications (created_at);

-- The alerts read the job queue's backlog per queue every round (the jobs
-- admin handle's backlog(): src/jobs/sql/read-queue-backlog.ts). Without an
-- index that leads with the queue, each round would count the whole hot
-- table (~400 ms at a million jobs); with it, the queues are found by a
-- loose index scan, each one's oldest ready job is its first entry, and the
-- count stops at a cap. Ready jobs only, like the claim index: the index is
-- as small as the backlog. It belongs to the jobs area's table; it is added
-- here because alerts is its reader (docs/alerts.md, "Benchmarks").
-- Not CONCURRENTLY: that needs a file of its own, and the version after this
-- one is taken by migrations written in parallel. The build reads only the
-- ready rows (the backlog, small in normal operation; ~1 s at a million) and
-- holds off writes to the queue for that long, once.
-- opskit-lint-ignore require-concurrent-index-creation: a partial index over the ready backlog, built once in about a second at a million ready jobs
create index jobs_ready_queue_idx on opskit.jobs (queue, run_at) where state = 'ready';
