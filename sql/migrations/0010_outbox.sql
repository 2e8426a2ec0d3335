-- The transactional outbox (docs/outbox.md).
--
-- opskit.outbox: one row per event, written in the caller's transaction. Its
-- first five columns are the ones Debezium's outbox event router reads (id,
-- aggregatetype, aggregateid, type, payload), so a service that outgrows the
-- relay points Debezium at this table and changes nothing else. `position`
-- orders events (per aggregate, in the order their transactions wrote them);
-- `txid` is the writing transaction's id, which the relay compares with its
-- snapshots to read rows in commit order without ever skipping a row of a
-- transaction that commits late (see opskit.outbox_relay).
create table opskit.outbox (
  id uuid primary key,
  aggregatetype text not null,
  aggregateid text not null,
  type text not null,
  payload jsonb,
  headers jsonb,
  position bigint generated always as identity,
  txid xid8 not null default pg_current_xact_id(),
  created_at timestamptz not null default now()
);
-- The relay's read: rows of transactions newer than the previous snapshot's xmin.
create index outbox_txid_idx on opskit.outbox (txid, position);
-- The operator's reads: one aggregate's events, newest events.
create index outbox_aggregate_idx on opskit.outbox (aggregatetype, aggregateid, position);
create unique index outbox_position_idx on opskit.outbox (position);

-- The relay's cursor (one row): the snapshot of the last finished round
-- (`done_snapshot`: every transaction visible in it has been relayed) and,
-- while a round's rows are read page by page, that round's snapshot
-- (`round_snapshot`) and the last position relayed from it.
create table opskit.outbox_relay (
  id boolean primary key default true check (id),
  done_snapshot pg_snapshot,
  round_snapshot pg_snapshot,
  after_position bigint not null default 0,
  relayed_total bigint not null default 0,
  last_round_at timestamptz,
  updated_at timestamptz not null default now()
);
insert into opskit.outbox_relay (id) values (true);

-- Outbound webhook endpoints (Standard Webhooks). `secret` and
-- `previous_secret` hold `whsec_…` values, encrypted (okv1 envelopes) when the
-- service has OPSKIT_SECRET_KEYS; while `previous_secret` is set (a rotation)
-- every delivery is signed with both.
create table opskit.outbox_endpoints (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  url text not null,
  -- Event types delivered (exact, or a prefix ending in '*'); null = every type.
  event_types text[],
  secret text not null,
  previous_secret text,
  -- active: delivering; paused: by an operator; disabled: after max_failures
  -- consecutive failed attempts. Deliveries wait while not active.
  state text not null default 'active' check (state in ('active', 'paused', 'disabled')),
  state_reason text,
  state_changed_at timestamptz not null default now(),
  max_failures integer not null default 20 check (max_failures >= 1),
  consecutive_failures integer not null default 0,
  last_success_at timestamptz,
  last_failure_at timestamptz,
  last_error text,
  last_latency_ms integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per (consumer, event): `consumer` is `handler:<name>` or
-- `endpoint:<name>`. A consumer's deliveries of one aggregate form a line,
-- delivered head first, one at a time (see docs/outbox.md).
create table opskit.outbox_deliveries (
  id bigint generated always as identity primary key,
  consumer text not null,
  event_id uuid not null,
  position bigint not null,
  line text not null,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  last_error text,
  last_status integer,
  latency_ms integer,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (consumer, event_id)
);
-- The head of a line: its lowest pending position.
create index outbox_deliveries_line_idx on opskit.outbox_deliveries (consumer, line, position)
  where state = 'pending';
create index outbox_deliveries_recent_idx on opskit.outbox_deliveries (updated_at);
create index outbox_deliveries_event_idx on opskit.outbox_deliveries (event_id);

-- Wakes the relay, after every statement that inserts events (publish,
-- opskit.publish_event, or a plain insert by any client). Like
-- opskit.notify_jobs: one open transaction at a time sends it (commits of
-- transactions that NOTIFY are serialised), the others rely on that one and
-- on the relay's polling backstop.
create function opskit.notify_outbox() returns trigger
language plpgsql as $$
begin
  if pg_try_advisory_xact_lock(1868722540, 0) then
    perform pg_notify('opskit_outbox', '');
  end if;
  return null;
end
$$;
create trigger outbox_notify after insert on opskit.outbox
  for each statement execute function opskit.notify_outbox();

-- Publishes an event from SQL (a trigger, a migration, another language), in
-- the calling transaction; returns its id. The TypeScript `outbox.publish`
-- runs the same insert.
create function opskit.publish_event(
  aggregatetype text,
  aggregateid text,
  type text,
  payload jsonb default null,
  headers jsonb default null,
  id uuid default gen_random_uuid()
) returns uuid
language plpgsql as $$
begin
  insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload, headers)
  values (publish_event.id, publish_event.aggregatetype, publish_event.aggregateid,
          publish_event.type, publish_event.payload, publish_event.headers);
  return publish_event.id;
end
$$;
