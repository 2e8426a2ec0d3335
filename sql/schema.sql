CREATE SCHEMA opskit;

COMMENT ON SCHEMA opskit IS 'Tables owned by opskit (migrations history, jobs, inbox, audit).';

CREATE FUNCTION opskit.add_job(task text, payload jsonb DEFAULT '{}'::jsonb, queue text DEFAULT 'default'::text, run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, priority integer DEFAULT 0, max_attempts integer DEFAULT 10, dedupe_key text DEFAULT NULL::text, fifo_key text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
declare
  result bigint;
begin
  loop
    select a.id into result from opskit.add_jobs(json_build_array(json_build_object(
      'task', add_job.task, 'payload', add_job.payload, 'queue', add_job.queue,
      'run_at', add_job.run_at, 'priority', add_job.priority,
      'max_attempts', add_job.max_attempts, 'dedupe_key', add_job.dedupe_key,
      'fifo_key', add_job.fifo_key
    ))) a;
    exit when result is not null;
  end loop;
  return result;
end
$$;

CREATE FUNCTION opskit.add_jobs(specs json) RETURNS TABLE(ord bigint, id bigint, deduplicated boolean)
    LANGUAGE plpgsql
    AS $$
begin
  return query
  with input as (
    select s.*, nextval('opskit.jobs_id_seq') as new_id
    from rows from (json_to_recordset(specs) as (
      task text, queue text, payload jsonb, priority integer, run_at timestamptz,
      max_attempts integer, backoff jsonb, timeout_ms integer, dedupe_key text,
      fifo_key text, meta jsonb
    )) with ordinality as s(task, queue, payload, priority, run_at, max_attempts, backoff,
      timeout_ms, dedupe_key, fifo_key, meta, ord)
  ), inserted as (
    insert into opskit.jobs as j (id, task, queue, payload, state, priority, run_at,
      max_attempts, backoff, timeout_ms, dedupe_key, fifo_key, meta)
    select i.new_id, i.task, coalesce(i.queue, 'default'), coalesce(i.payload, '{}'),
      case when i.run_at is null or i.run_at <= now() then 'ready' else 'scheduled' end,
      coalesce(i.priority, 0), coalesce(i.run_at, now()), coalesce(i.max_attempts, 10),
      i.backoff, i.timeout_ms, i.dedupe_key, i.fifo_key, i.meta
    from input i order by i.ord
    on conflict (dedupe_key) where dedupe_key is not null do nothing
    returning j.id, j.dedupe_key
  )
  select i.ord, coalesce(mine.id, same_batch.id, existing.id), mine.id is null
  from input i
  left join inserted mine on mine.id = i.new_id
  left join inserted same_batch on mine.id is null and same_batch.dedupe_key = i.dedupe_key
  left join opskit.jobs existing
    on mine.id is null and same_batch.id is null and existing.dedupe_key = i.dedupe_key
  order by i.ord;

  perform opskit.notify_jobs(q.queue)
  from (
    select distinct coalesce(s.queue, 'default') as queue
    from json_to_recordset(specs) as s(queue text, run_at timestamptz)
    where s.run_at is null or s.run_at <= now()
  ) q;
end
$$;

CREATE FUNCTION opskit.claim_jobs(worker text, queues text[], tasks text[], max_jobs integer, lease_ms integer, limited boolean DEFAULT false) RETURNS TABLE(id bigint, task text, queue text, payload jsonb, attempts integer, max_attempts integer, backoff jsonb, timeout_ms integer, checkpoint jsonb, meta jsonb)
    LANGUAGE plpgsql
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_sort TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    AS $$
#variable_conflict use_column
begin
  perform set_config('synchronous_commit', 'off', true);
  -- Nothing ready: no turn to wait for (see above).
  if not exists (
    select 1 from opskit.jobs j
     where j.state = 'ready'
       and j.queue = any(claim_jobs.queues)
       and j.task = any(claim_jobs.tasks)
  ) then
    return;
  end if;
  -- Claims take turns (see above): the lock is the transaction's, released
  -- when the claim commits, so a dead session never holds it.
  perform pg_advisory_xact_lock(1868722539, 2);
  -- The CTE is an optimisation fence: LIMIT applies before the UPDATE, so a
  -- batch never locks more rows than it takes.
  return query
  with c as (
    select j.id from opskit.jobs j
     where j.state = 'ready'
       and j.queue = any(claim_jobs.queues)
       and j.task = any(claim_jobs.tasks)
       and (claim_jobs.limited or not exists (
             select 1 from opskit.job_queues q
              where q.name = j.queue and (q.paused or q.concurrency is not null)))
       -- The claimable head of each fifo_key is its lowest unfinished id.
       and (j.fifo_key is null or not exists (
             select 1 from opskit.jobs f where f.fifo_key = j.fifo_key and f.id < j.id))
     order by j.priority, j.run_at, j.id
     limit claim_jobs.max_jobs
     for update skip locked
  )
  update opskit.jobs j
     set state = 'running', attempts = j.attempts + 1, locked_by = claim_jobs.worker,
         locked_at = now(),
         lease_expires_at = now() + claim_jobs.lease_ms * interval '1 millisecond',
         heartbeat_at = null
    from c
   where j.id = c.id
  returning j.id, j.task, j.queue, j.payload, j.attempts, j.max_attempts, j.backoff,
            j.timeout_ms, j.checkpoint, j.meta;
end
$$;

CREATE FUNCTION opskit.notify_jobs(queue text) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  if pg_try_advisory_xact_lock(1868722539, hashtext(queue)) then
    perform pg_notify('opskit_jobs', queue);
  end if;
end
$$;

CREATE FUNCTION opskit.notify_outbox() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if pg_try_advisory_xact_lock(1868722540, 0) then
    perform pg_notify('opskit_outbox', '');
  end if;
  return null;
end
$$;

CREATE FUNCTION opskit.publish_event(aggregatetype text, aggregateid text, type text, payload jsonb DEFAULT NULL::jsonb, headers jsonb DEFAULT NULL::jsonb, id uuid DEFAULT gen_random_uuid()) RETURNS uuid
    LANGUAGE plpgsql
    AS $$
begin
  insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload, headers)
  values (publish_event.id, publish_event.aggregatetype, publish_event.aggregateid,
          publish_event.type, publish_event.payload, publish_event.headers);
  return publish_event.id;
end
$$;

CREATE TABLE opskit.alert_groups (
    receiver text NOT NULL,
    group_key text NOT NULL,
    group_labels jsonb NOT NULL,
    first_active_at timestamp with time zone,
    last_sent_at timestamp with time zone,
    notified bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    seq bigint DEFAULT 0 NOT NULL
);

CREATE TABLE opskit.alert_notifications (
    id bigint NOT NULL,
    receiver text NOT NULL,
    group_key text NOT NULL,
    seq bigint NOT NULL,
    status text NOT NULL,
    alert_ids bigint[] NOT NULL,
    payload jsonb NOT NULL,
    delivery text DEFAULT 'queued'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    CONSTRAINT alert_notifications_delivery_check CHECK ((delivery = ANY (ARRAY['queued'::text, 'sent'::text, 'failed'::text, 'dead'::text]))),
    CONSTRAINT alert_notifications_status_check CHECK ((status = ANY (ARRAY['firing'::text, 'resolved'::text])))
);

ALTER TABLE opskit.alert_notifications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.alert_notifications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.alert_rules (
    name text NOT NULL,
    severity text NOT NULL,
    for_ms bigint NOT NULL,
    keep_firing_for_ms bigint NOT NULL,
    summary text NOT NULL,
    runbook_url text,
    last_evaluated_at timestamp with time zone,
    last_duration_ms real,
    last_error text,
    evaluated_by text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.alert_silences (
    id bigint NOT NULL,
    matchers jsonb NOT NULL,
    starts_at timestamp with time zone DEFAULT now() NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    created_by text NOT NULL,
    comment text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expired_at timestamp with time zone,
    expired_by text,
    CONSTRAINT alert_silences_check CHECK ((ends_at > starts_at)),
    CONSTRAINT alert_silences_matchers_check CHECK ((jsonb_typeof(matchers) = 'object'::text))
);

ALTER TABLE opskit.alert_silences ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.alert_silences_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.alerts (
    id bigint NOT NULL,
    fingerprint text NOT NULL,
    rule text NOT NULL,
    labels jsonb NOT NULL,
    annotations jsonb NOT NULL,
    state text NOT NULL,
    value double precision,
    active_at timestamp with time zone NOT NULL,
    fired_at timestamp with time zone,
    last_seen_at timestamp with time zone NOT NULL,
    resolved_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alerts_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'firing'::text, 'resolved'::text])))
);

ALTER TABLE opskit.alerts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    result text NOT NULL,
    request_key text,
    request_id text
);

CREATE SEQUENCE opskit.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE opskit.audit_log_id_seq OWNED BY opskit.audit_log.id;

CREATE TABLE opskit.backup_drills (
    id text NOT NULL,
    kind text NOT NULL,
    backup_id text,
    ok boolean NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    rto_ms bigint,
    rpo_ms bigint,
    receipt jsonb NOT NULL,
    CONSTRAINT backup_drills_kind_check CHECK ((kind = ANY (ARRAY['backup'::text, 'restored'::text, 'pitr'::text])))
);

CREATE TABLE opskit.job_backlog_samples (
    at timestamp with time zone NOT NULL,
    jobs_ready bigint NOT NULL,
    jobs_scheduled bigint NOT NULL,
    jobs_running bigint NOT NULL,
    jobs_dead bigint NOT NULL,
    inbox_backlog bigint NOT NULL
);

CREATE VIEW opskit.console_samples AS
 SELECT job_backlog_samples.at,
    job_backlog_samples.jobs_ready,
    job_backlog_samples.jobs_scheduled,
    job_backlog_samples.jobs_running,
    job_backlog_samples.jobs_dead,
    job_backlog_samples.inbox_backlog
   FROM opskit.job_backlog_samples;

CREATE TABLE opskit.console_sessions (
    id text NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    csrf_token text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    user_agent text,
    CONSTRAINT console_sessions_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'operator'::text, 'admin'::text])))
);

CREATE TABLE opskit.dead_jobs (
    id bigint NOT NULL,
    task text NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'ready'::text NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 10 NOT NULL,
    backoff jsonb,
    timeout_ms integer,
    dedupe_key text,
    fifo_key text,
    meta jsonb,
    locked_by text,
    locked_at timestamp with time zone,
    lease_expires_at timestamp with time zone,
    heartbeat_at timestamp with time zone,
    cancel_requested_at timestamp with time zone,
    progress real,
    checkpoint jsonb,
    checkpoint_at timestamp with time zone,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    died_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.inbox_events (
    id bigint NOT NULL,
    source text NOT NULL,
    dedupe_key text NOT NULL,
    topic text,
    ordering_key text,
    status text DEFAULT 'pending'::text NOT NULL,
    reject_reason text,
    headers jsonb DEFAULT '{}'::jsonb NOT NULL,
    body bytea,
    body_bytes integer NOT NULL,
    secret_index smallint,
    signed_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    job_id bigint,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    processed_at timestamp with time zone,
    payload_pruned_at timestamp with time zone,
    replays integer DEFAULT 0 NOT NULL,
    last_replay_id bigint,
    CONSTRAINT inbox_events_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'failed'::text, 'processed'::text, 'dead'::text, 'rejected'::text])))
);

ALTER TABLE opskit.inbox_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.inbox_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE SEQUENCE opskit.inbox_rejection_slot
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    MAXVALUE 10000
    CACHE 1
    CYCLE;

CREATE TABLE opskit.inbox_rejections (
    slot integer NOT NULL,
    source text NOT NULL,
    reason text NOT NULL,
    detail text,
    http_status integer NOT NULL,
    body_bytes integer,
    delivery_id text,
    user_agent text,
    rejected_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.inbox_replays (
    id bigint NOT NULL,
    requested_by text NOT NULL,
    reason text NOT NULL,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    filter jsonb NOT NULL,
    event_count integer NOT NULL
);

ALTER TABLE opskit.inbox_replays ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.inbox_replays_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.inbox_sources (
    name text NOT NULL,
    verifier text NOT NULL,
    retention_days integer,
    max_attempts integer DEFAULT 10 NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    paused_at timestamp with time zone,
    paused_by text,
    pause_reason text,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT inbox_sources_retention_days_check CHECK ((retention_days > 0))
);

CREATE TABLE opskit.job_history (
    id bigint NOT NULL,
    task text NOT NULL,
    queue text NOT NULL,
    state text NOT NULL,
    payload jsonb NOT NULL,
    priority integer NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    dedupe_key text,
    fifo_key text,
    meta jsonb,
    progress real,
    checkpoint jsonb,
    errors jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT job_history_state_check CHECK ((state = ANY (ARRAY['completed'::text, 'cancelled'::text])))
);

CREATE TABLE opskit.job_queues (
    name text NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    concurrency integer,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT job_queues_concurrency_check CHECK ((concurrency > 0))
);

CREATE TABLE opskit.job_schedules (
    name text NOT NULL,
    cron text NOT NULL,
    timezone text NOT NULL,
    task text NOT NULL,
    missed text NOT NULL,
    grace_ms bigint NOT NULL,
    last_slot_at timestamp with time zone,
    last_job_id bigint,
    last_success_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT job_schedules_missed_check CHECK ((missed = ANY (ARRAY['skip'::text, 'once'::text, 'backfill'::text])))
);

CREATE TABLE opskit.job_workers (
    id text NOT NULL,
    hostname text NOT NULL,
    pid integer NOT NULL,
    queues text[] NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.jobs (
    id bigint NOT NULL,
    task text NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'ready'::text NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 10 NOT NULL,
    backoff jsonb,
    timeout_ms integer,
    dedupe_key text,
    fifo_key text,
    meta jsonb,
    locked_by text,
    locked_at timestamp with time zone,
    lease_expires_at timestamp with time zone,
    heartbeat_at timestamp with time zone,
    cancel_requested_at timestamp with time zone,
    progress real,
    checkpoint jsonb,
    checkpoint_at timestamp with time zone,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jobs_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['scheduled'::text, 'ready'::text, 'running'::text]))),
    CONSTRAINT jobs_timeout_ms_check CHECK ((timeout_ms > 0))
)
WITH (autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_threshold='5000', autovacuum_vacuum_insert_scale_factor='0', autovacuum_vacuum_insert_threshold='5000', autovacuum_analyze_scale_factor='0', autovacuum_analyze_threshold='5000');

ALTER TABLE opskit.jobs ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME opskit.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.outbox (
    id uuid NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb,
    headers jsonb,
    "position" bigint NOT NULL,
    txid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.outbox_deliveries (
    id bigint NOT NULL,
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    "position" bigint NOT NULL,
    line text NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    last_status integer,
    latency_ms integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT outbox_deliveries_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text])))
);

ALTER TABLE opskit.outbox_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.outbox_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.outbox_endpoints (
    name text NOT NULL,
    url text NOT NULL,
    event_types text[],
    secret text NOT NULL,
    previous_secret text,
    state text DEFAULT 'active'::text NOT NULL,
    state_reason text,
    state_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    max_failures integer DEFAULT 20 NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    last_success_at timestamp with time zone,
    last_failure_at timestamp with time zone,
    last_error text,
    last_latency_ms integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT outbox_endpoints_max_failures_check CHECK ((max_failures >= 1)),
    CONSTRAINT outbox_endpoints_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'::text)),
    CONSTRAINT outbox_endpoints_state_check CHECK ((state = ANY (ARRAY['active'::text, 'paused'::text, 'disabled'::text])))
);

ALTER TABLE opskit.outbox ALTER COLUMN "position" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME opskit.outbox_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE opskit.outbox_relay (
    id boolean DEFAULT true NOT NULL,
    done_snapshot pg_snapshot,
    round_snapshot pg_snapshot,
    after_position bigint DEFAULT 0 NOT NULL,
    relayed_total bigint DEFAULT 0 NOT NULL,
    last_round_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT outbox_relay_id_check CHECK (id)
);

CREATE TABLE opskit.schema_migration_progress (
    source text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    statements_done integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    run_id uuid NOT NULL
);

CREATE TABLE opskit.schema_migrations (
    id bigint NOT NULL,
    source text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    duration_ms integer NOT NULL,
    run_id uuid NOT NULL,
    applied_by text NOT NULL
);

CREATE SEQUENCE opskit.schema_migrations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE opskit.schema_migrations_id_seq OWNED BY opskit.schema_migrations.id;

CREATE TABLE opskit.secret_columns (
    table_name text NOT NULL,
    column_name text NOT NULL,
    id_column text NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE opskit.secret_fingerprints (
    name text NOT NULL,
    fingerprint text NOT NULL,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY opskit.audit_log ALTER COLUMN id SET DEFAULT nextval('opskit.audit_log_id_seq'::regclass);

ALTER TABLE ONLY opskit.schema_migrations ALTER COLUMN id SET DEFAULT nextval('opskit.schema_migrations_id_seq'::regclass);

ALTER TABLE ONLY opskit.alert_groups
    ADD CONSTRAINT alert_groups_pkey PRIMARY KEY (receiver, group_key);

ALTER TABLE ONLY opskit.alert_notifications
    ADD CONSTRAINT alert_notifications_group_seq_key UNIQUE (receiver, group_key, seq);

ALTER TABLE ONLY opskit.alert_notifications
    ADD CONSTRAINT alert_notifications_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.alert_rules
    ADD CONSTRAINT alert_rules_pkey PRIMARY KEY (name);

ALTER TABLE ONLY opskit.alert_silences
    ADD CONSTRAINT alert_silences_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.backup_drills
    ADD CONSTRAINT backup_drills_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.console_sessions
    ADD CONSTRAINT console_sessions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.dead_jobs
    ADD CONSTRAINT dead_jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.inbox_events
    ADD CONSTRAINT inbox_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.inbox_events
    ADD CONSTRAINT inbox_events_source_dedupe_key_key UNIQUE (source, dedupe_key);

ALTER TABLE ONLY opskit.inbox_rejections
    ADD CONSTRAINT inbox_rejections_pkey PRIMARY KEY (slot);

ALTER TABLE ONLY opskit.inbox_replays
    ADD CONSTRAINT inbox_replays_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.inbox_sources
    ADD CONSTRAINT inbox_sources_pkey PRIMARY KEY (name);

ALTER TABLE ONLY opskit.job_backlog_samples
    ADD CONSTRAINT job_backlog_samples_pkey PRIMARY KEY (at);

ALTER TABLE ONLY opskit.job_history
    ADD CONSTRAINT job_history_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.job_queues
    ADD CONSTRAINT job_queues_pkey PRIMARY KEY (name);

ALTER TABLE ONLY opskit.job_schedules
    ADD CONSTRAINT job_schedules_pkey PRIMARY KEY (name);

ALTER TABLE ONLY opskit.job_workers
    ADD CONSTRAINT job_workers_pkey PRIMARY KEY (id);

ALTER TABLE opskit.jobs
    ADD CONSTRAINT jobs_locked_by_running CHECK (((state = 'running'::text) OR (locked_by IS NULL))) NOT VALID;

ALTER TABLE ONLY opskit.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.outbox_deliveries
    ADD CONSTRAINT outbox_deliveries_consumer_event_id_key UNIQUE (consumer, event_id);

ALTER TABLE ONLY opskit.outbox_deliveries
    ADD CONSTRAINT outbox_deliveries_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.outbox_endpoints
    ADD CONSTRAINT outbox_endpoints_pkey PRIMARY KEY (name);

ALTER TABLE ONLY opskit.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.outbox_relay
    ADD CONSTRAINT outbox_relay_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.schema_migration_progress
    ADD CONSTRAINT schema_migration_progress_pkey PRIMARY KEY (source, name);

ALTER TABLE ONLY opskit.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY opskit.schema_migrations
    ADD CONSTRAINT schema_migrations_source_name_key UNIQUE (source, name);

ALTER TABLE ONLY opskit.secret_columns
    ADD CONSTRAINT secret_columns_pkey PRIMARY KEY (table_name, column_name);

ALTER TABLE ONLY opskit.secret_fingerprints
    ADD CONSTRAINT secret_fingerprints_pkey PRIMARY KEY (name, fingerprint);

CREATE INDEX alert_notifications_created_at_idx ON opskit.alert_notifications USING btree (created_at);

CREATE INDEX alert_silences_ends_at_idx ON opskit.alert_silences USING btree (ends_at) WHERE (expired_at IS NULL);

CREATE UNIQUE INDEX alerts_open_fingerprint_idx ON opskit.alerts USING btree (fingerprint) WHERE (state <> 'resolved'::text);

CREATE INDEX alerts_resolved_at_idx ON opskit.alerts USING btree (resolved_at) WHERE (state = 'resolved'::text);

CREATE INDEX audit_log_at_idx ON opskit.audit_log USING btree (at DESC);

CREATE UNIQUE INDEX audit_log_request_key_idx ON opskit.audit_log USING btree (request_key) WHERE (request_key IS NOT NULL);

CREATE INDEX backup_drills_started_at ON opskit.backup_drills USING btree (started_at DESC);

CREATE INDEX console_sessions_expires_at_idx ON opskit.console_sessions USING btree (expires_at);

CREATE INDEX dead_jobs_died_at_idx ON opskit.dead_jobs USING btree (died_at);

CREATE INDEX inbox_events_source_received_idx ON opskit.inbox_events USING btree (source, received_at);

CREATE INDEX inbox_rejections_rejected_at_idx ON opskit.inbox_rejections USING btree (rejected_at);

CREATE INDEX job_history_finished_at_idx ON opskit.job_history USING brin (finished_at);

CREATE UNIQUE INDEX jobs_dedupe_key_idx ON opskit.jobs USING btree (dedupe_key) WHERE (dedupe_key IS NOT NULL);

CREATE INDEX jobs_fifo_key_idx ON opskit.jobs USING btree (fifo_key, id) WHERE (fifo_key IS NOT NULL);

CREATE INDEX jobs_ready_idx ON opskit.jobs USING btree (priority, run_at, id) WHERE (state = 'ready'::text);

CREATE INDEX jobs_ready_queue_idx ON opskit.jobs USING btree (queue, run_at) WHERE (state = 'ready'::text);

CREATE INDEX jobs_running_idx ON opskit.jobs USING btree (locked_by) WHERE (state = 'running'::text);

CREATE INDEX jobs_scheduled_idx ON opskit.jobs USING btree (run_at) WHERE (state = 'scheduled'::text);

CREATE INDEX outbox_aggregate_idx ON opskit.outbox USING btree (aggregatetype, aggregateid, "position");

CREATE INDEX outbox_deliveries_event_idx ON opskit.outbox_deliveries USING btree (event_id);

CREATE INDEX outbox_deliveries_line_idx ON opskit.outbox_deliveries USING btree (consumer, line, "position") WHERE (state = 'pending'::text);

CREATE INDEX outbox_deliveries_recent_idx ON opskit.outbox_deliveries USING btree (updated_at);

CREATE UNIQUE INDEX outbox_position_idx ON opskit.outbox USING btree ("position");

CREATE INDEX outbox_txid_idx ON opskit.outbox USING btree (txid, "position");

CREATE TRIGGER outbox_notify AFTER INSERT ON opskit.outbox FOR EACH STATEMENT EXECUTE FUNCTION opskit.notify_outbox();
