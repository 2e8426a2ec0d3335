-- The operator's console (docs/console.md): its login sessions and the
-- backlog samples its overview charts draw.

-- One row per login. `id` is the SHA-256 of the cookie's value, so reading
-- this table gives nobody a usable session; `csrf_token` is the token every
-- mutating request of that session must carry.
create table opskit.console_sessions (
  id text primary key,
  actor text not null,
  role text not null check (role in ('viewer', 'operator', 'admin')),
  csrf_token text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  user_agent text
);
create index console_sessions_expires_at_idx on opskit.console_sessions (expires_at);

-- The backlog every 10 s, written by whichever console process samples first
-- (the primary key drops the others' copies); kept for a day.
create table opskit.console_samples (
  at timestamptz primary key,
  jobs_ready bigint not null,
  jobs_scheduled bigint not null,
  jobs_running bigint not null,
  jobs_dead bigint not null,
  inbox_backlog bigint not null
);

