export {
  defineTask,
  type AnyTask,
  type Task,
  type TaskHandler,
  type TaskOptions,
} from "./define-task.js";
export {
  defineSchedule,
  type MissedRunPolicy,
  type Schedule,
  type ScheduleOptions,
} from "./define-schedule.js";
export { createQueue, type CreateQueueOptions, type JobToAdd, type Queue } from "./create-queue.js";
export type { QueueSelection, WorkOptions, Worker } from "./create-worker.js";
export type { JobContext } from "./job-context.js";
export type { JobEvents, JobFailureEvent, JobOutcomeEvent } from "./job-events.js";
export type { AddOptions, AddResult, JobError } from "./job.js";
export { backoffDelay, DEFAULT_BACKOFF, type Backoff, type BackoffSpec } from "./backoff.js";
export type { QueueStats, JobState, JobSummary } from "./sql/inspect-jobs.js";
export { createJobsAdmin, type JobsAdmin, type PruneJobsOptions } from "./jobs-admin.js";
export type { QueueBacklog } from "./sql/read-queue-backlog.js";
export { PAYLOAD_SCAN_LIMIT, type JobFilter, type JobListRow } from "./sql/search-jobs.js";
export type { ChartData } from "./sql/read-job-charts.js";
export { createBacklogSampler, type BacklogSampler } from "./backlog-sampler.js";
export { findJob, JOB_STATES, jobStats, listJobs } from "./sql/inspect-jobs.js";
export type { CancelResult } from "./sql/queue-admin.js";
// The console's actions run them on their own transaction (the audit row commits with them).
export { cancelJob, pauseQueue, resumeQueue, retryDeadJob } from "./sql/queue-admin.js";
export { scheduleStatuses, type ScheduleStatus } from "./schedule-status.js";
export type { RescueResult } from "./rescue-expired-jobs.js";
export type { MaintenanceResult } from "./run-maintenance.js";
export { workerHeartbeatCheck, schedulesCheck } from "./job-checks.js";
export { MISSED_AFTER_MS } from "./enqueue-scheduled-slots.js";
export { workerPart, type WorkerPartOptions } from "./worker-part.js";
export { listenForNotifications, type NotificationListener } from "./notification-listener.js";
