-- One row per restore drill (src/backup): its receipt, for the console's
-- backups screen and the alerts' "no successful drill in N days" rule, read
-- through the backup admin handle. The receipt files next to each backup are
-- the record on the volume; this table is the record the service can query
-- when the volume is not mounted where the console runs.
create table opskit.backup_drills (
  id text primary key,
  kind text not null check (kind in ('backup', 'restored', 'pitr')),
  backup_id text,
  ok boolean not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  rto_ms bigint,
  rpo_ms bigint,
  receipt jsonb not null
);

create index backup_drills_started_at on opskit.backup_drills (started_at desc);
