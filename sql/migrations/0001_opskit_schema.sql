-- The toolkit's own schema. Later areas (jobs, inbox, audit) add their tables
-- here in numbered, forward-only files; the history table itself is created
-- by the runner before any migration runs.
create schema if not exists opskit;
comment on schema opskit is 'Tables owned by opskit (migrations history, jobs, inbox, audit).';
