-- The secrets area (src/secrets). Two small tables:
--
-- secret_columns: the encrypted columns a service declared to its secrets
-- part, recorded at start, so `opskit secrets status` (which has no service
-- code) knows what to count. The part upserts its own rows; nothing else
-- writes here.
create table opskit.secret_columns (
  table_name text not null,
  column_name text not null,
  id_column text not null,
  registered_at timestamptz not null default now(),
  primary key (table_name, column_name)
);

-- secret_fingerprints: when each configured secret was first seen, by a
-- memory-hard fingerprint of its value (never the value), so its age can be
-- shown and alerted on. A rotated secret gets a new row; its name's age is
-- that of the oldest value still configured.
create table opskit.secret_fingerprints (
  name text not null,
  fingerprint text not null,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (name, fingerprint)
);
