-- The webhook inbox (docs/inbox.md). A verified delivery is a row of
-- opskit.inbox_events, unique per (source, dedupe_key), inserted in the same
-- transaction as its processing job; the HTTP answer is sent after commit.

-- Sources as the running service declared them, with the operator's pause.
create table opskit.inbox_sources (
  name text primary key,
  verifier text not null,
  -- Payloads of finished events older than this are pruned; null keeps them.
  retention_days integer check (retention_days > 0),
  -- Processing attempts before an event is dead (replays from the CLI use it).
  max_attempts integer not null default 10,
  paused boolean not null default false,
  paused_at timestamptz,
  paused_by text,
  pause_reason text,
  registered_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table opskit.inbox_events (
  id bigint generated always as identity primary key,
  source text not null,
  -- The provider's delivery id (or what the source's rule names); the unique
  -- constraint is the dedupe: two concurrent deliveries cannot both insert.
  dedupe_key text not null,
  topic text,
  -- Events sharing an ordering key are processed one at a time, in arrival order.
  ordering_key text,
  -- pending: stored, its job is queued or running; failed: an attempt failed,
  -- a retry is scheduled; processed; dead: out of attempts; rejected: verified
  -- but unusable (e.g. not JSON), never processed.
  status text not null default 'pending'
    check (status in ('pending', 'failed', 'processed', 'dead', 'rejected')),
  reject_reason text,
  -- Every request header; signatures and credentials masked.
  headers jsonb not null default '{}',
  -- The raw bytes as received; null once pruned by retention.
  body bytea,
  body_bytes integer not null,
  -- Which active secret verified it (0 = the first): shows when an old one is still in use.
  secret_index smallint,
  signed_at timestamptz,
  attempts integer not null default 0,
  last_error text,
  job_id bigint,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  payload_pruned_at timestamptz,
  replays integer not null default 0,
  last_replay_id bigint,
  constraint inbox_events_source_dedupe_key_key unique (source, dedupe_key)
);
-- Listing, replay filters and retention walk a source's events by time.
create index inbox_events_source_received_idx on opskit.inbox_events (source, received_at);

-- Every replay: who asked, when, why, for what.
create table opskit.inbox_replays (
  id bigint generated always as identity primary key,
  requested_by text not null,
  reason text not null,
  requested_at timestamptz not null default now(),
  -- {"eventId": …} or {"source", "topic", "status", "since", "until"}
  filter jsonb not null,
  event_count integer not null
);

-- Requests refused before storage (bad signature, stale timestamp, unknown
-- source, too large): metadata only, never the unverified body. A ring of
-- 10,000 slots: a flood of forged requests overwrites the oldest instead of
-- growing the table, and no cleaner is needed.
create sequence opskit.inbox_rejection_slot as integer minvalue 1 maxvalue 10000 cycle;
create table opskit.inbox_rejections (
  slot integer primary key,
  source text not null,
  reason text not null,
  detail text,
  http_status integer not null,
  body_bytes integer,
  delivery_id text,
  user_agent text,
  rejected_at timestamptz not null default now()
);
create index inbox_rejections_rejected_at_idx on opskit.inbox_rejections (rejected_at);
