-- The backlog samples are the job queue's (src/jobs/backlog-sampler.ts
-- writes them, the jobs admin handle reads them); they were named after the
-- console, their first reader. Renamed in place: no rows move, and a console
-- of the previous version that still writes the old name fails its sample
-- (logged and skipped) rather than anything else.
alter table opskit.console_samples rename to job_backlog_samples;
alter index opskit.console_samples_pkey rename to job_backlog_samples_pkey;
