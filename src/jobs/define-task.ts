import type { z } from "zod";
import { OpskitError } from "../errors.js";
import type { Backoff } from "./backoff.js";
import type { JobContext } from "./job-context.js";

export type TaskHandler<P> = (payload: P, ctx: JobContext) => Promise<void> | void;

export interface TaskOptions<P> {
  /** Validates the payload when it is added and again before it runs (a trigger may add anything). */
  schema?: z.ZodType<P>;
  /** Default queue of this task's jobs; default "default". */
  queue?: string;
  /** Attempts before the job is dead; default 10. */
  maxAttempts?: number;
  /** Delay between attempts; default exponential from 1 s to 1 h with jitter. */
  backoff?: Backoff;
  /** A run longer than this is aborted and fails (and the worker moves on); default none. */
  timeoutMs?: number;
  /** Default priority of this task's jobs (lower runs first); default 0. */
  priority?: number;
}

export interface Task<P = unknown> {
  readonly name: string;
  readonly handler: TaskHandler<P>;
  readonly options: TaskOptions<P>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds tasks of any payload
export type AnyTask = Task<any>;

const NAME = /^[a-z0-9][a-z0-9._:-]{0,99}$/i;

/**
 * Declares a task: its name (what is stored with each job), its handler and
 * its options. With a zod `schema` the payload type is inferred from it.
 *
 * @example
 * const sendReceipt = defineTask(
 *   "send-receipt",
 *   async ({ orderId }, ctx) => { ctx.log.info({ orderId }, "sending"); },
 *   { schema: z.object({ orderId: z.string() }), maxAttempts: 5 },
 * );
 */
export function defineTask<P>(
  name: string,
  handler: TaskHandler<P>,
  options: TaskOptions<P> = {},
): Task<P> {
  if (!NAME.test(name)) {
    throw new OpskitError(
      "JOB_TASK_INVALID",
      `Task name "${name}" is not valid: use 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`,
    );
  }
  if (
    options.maxAttempts !== undefined &&
    !(Number.isInteger(options.maxAttempts) && options.maxAttempts >= 1)
  ) {
    throw new OpskitError(
      "JOB_TASK_INVALID",
      `Task "${name}": maxAttempts must be an integer of at least 1.`,
    );
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new OpskitError("JOB_TASK_INVALID", `Task "${name}": timeoutMs must be above 0.`);
  }
  return Object.freeze({ name, handler, options: Object.freeze({ ...options }) });
}

/** Parses a payload with the task's schema; throws `JOB_PAYLOAD_INVALID` with the issues. */
export function parsePayload<P>(task: Task<P>, payload: unknown): P {
  const schema = task.options.schema;
  if (!schema) return payload as P;
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new OpskitError(
    "JOB_PAYLOAD_INVALID",
    `The payload of task "${task.name}" is invalid: ${issues.join("; ")}`,
    { details: { task: task.name, issues } },
  );
}
