-- The backlog samples are the job queue's (src/jobs/backlog-sampler.ts
-- writes them, the jobs admin handle reads them); they were named after the
-- console, their first reader. Renamed in place (no rows move), with a view
-- under the old name so that a process of the previous version, still
-- running during the rollout, keeps sampling and drawing (a simple view is
-- updatable, ON CONFLICT included). A later migration drops the view.
-- opskit-lint-ignore renaming-table: the view below keeps the old name working during the rollout
alter table opskit.console_samples rename to job_backlog_samples;
alter index opskit.console_samples_pkey rename to job_backlog_samples_pkey;
create view opskit.console_samples as select * from opskit.job_backlog_samples;
