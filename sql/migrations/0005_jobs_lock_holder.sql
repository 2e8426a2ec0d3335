-- Only a running job has a lock holder. Outcomes are fenced by (attempts,
-- locked_by) alone (src/jobs/sql/settle-jobs.ts): with this rule, a matching
-- lock holder also means the job is still running, and a hand-written UPDATE
-- that takes a job out of `running` without clearing `locked_by` is refused
-- instead of letting a late outcome through. Every path of the queue already
-- keeps it; NOT VALID skips the scan of existing rows (new and updated rows
-- are checked).
alter table opskit.jobs
  add constraint jobs_locked_by_running check (state = 'running' or locked_by is null) not valid;
