import {
  pino,
  type Bindings,
  type DestinationStream,
  type Logger,
  type LevelWithSilent,
} from "pino";
import { OpskitError, toError } from "../errors.js";
import { getLogContext, type LogContext } from "./log-context.js";
import { createRedactor } from "./redactor.js";

export type { Logger } from "pino";

/** `LOG_LEVEL`: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

export interface CreateLoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** The service name, on every line as `name`. */
  name?: string;
  /** Secret values (tokens, passwords) masked wherever they appear in a line. */
  secrets?: Iterable<string>;
  /** More secret keys on top of `DEFAULT_SECRET_KEYS`. */
  secretKeys?: Iterable<string>;
  /** Where lines go; default stdout. Anything with `write(line: string)`, or `pino.destination(…)`. */
  destination?: DestinationStream;
}

export interface LoggerSecrets {
  /** Registers more secret values (for example once the config is loaded). */
  addSecrets(values: Iterable<string>): void;
  /** Replaces the registered secret values (for example after a rotation). */
  setSecrets(values: Iterable<string>): void;
}

/** The root logger: a pino logger that also takes secret values. */
export type RootLogger = Logger & LoggerSecrets;

type ChildMethod = (this: Logger, bindings: Bindings, options?: pino.ChildLoggerOptions) => Logger;
type SetBindingsMethod = (this: Logger, bindings: Bindings) => void;

// Returned by the mixin outside any context, so the merge can skip copying.
const NO_CONTEXT: LogContext = Object.freeze({});

/**
 * Creates the service's logger: pino writing JSON lines, with the current
 * request/job context on every line, secrets masked at any depth, and the
 * level as its name (`"level":"info"`).
 *
 * @example
 * const log = createLogger({ level: "info", name: "bakery", secrets: [config.API_TOKEN] });
 * const http = log.child({ category: "http" });
 * await runWithLogContext({ request_id: "abc" }, async () => http.info("hello"));
 */
export function createLogger(options: CreateLoggerOptions = {}): RootLogger {
  const level = options.level ?? "info";
  if (!LOG_LEVELS.includes(level)) {
    throw new OpskitError(
      "CONFIG_INVALID",
      `Unknown log level "${String(level)}". Set LOG_LEVEL to one of: ${LOG_LEVELS.join(", ")}.`,
    );
  }
  const redactor = createRedactor({
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.secretKeys ? { keys: options.secretKeys } : {}),
  });

  // A log call must never throw because of what it was given (a getter or a
  // toJSON that throws): the line is still written, with what went wrong.
  function safeRedact(value: unknown): unknown {
    try {
      return redactor.redact(value);
    } catch (thrown) {
      return { log_redaction_failed: redactor.redactString(toError(thrown).message) };
    }
  }
  function redactFields(value: unknown): Record<string, unknown> {
    const out = safeRedact(value);
    return typeof out === "object" && out !== null && !Array.isArray(out)
      ? (out as Record<string, unknown>)
      : { value: out };
  }

  const config: pino.LoggerOptions = {
    level,
    ...(options.name === undefined ? {} : { name: options.name }),
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactFields(bindings),
      log: (obj) => redactFields(obj),
    },
    serializers: {
      // pino's default `err` serializer would rebuild the already-redacted
      // error from its fields, flattening the causes into the message.
      err: (err: unknown) => err,
      // The message is formatted (`%s` filled in) before it reaches here.
      msg: (msg: unknown) =>
        typeof msg === "string" ? redactor.redactString(msg) : safeRedact(msg),
    },
    mixin: () => getLogContext() ?? NO_CONTEXT,
    // pino's default merge assigns into the mixin's object; the context is
    // shared and frozen, so merge into a new one, and only when there is one.
    mixinMergeStrategy: (mergeObject: object, mixinObject: object) =>
      mixinObject === NO_CONTEXT ? mergeObject : { ...mixinObject, ...mergeObject },
    hooks: {
      // Objects interpolated into the message (`%o`, `%j`) skip the
      // formatters, so they are redacted here, before formatting.
      logMethod(args, method) {
        for (let i = 1; i < args.length; i++) {
          const arg: unknown = args[i];
          if (typeof arg === "object" && arg !== null) {
            (args as unknown[])[i] = safeRedact(arg);
          }
        }
        method.apply(this, args);
      },
    },
  };
  const logger = options.destination ? pino(config, options.destination) : pino(config);

  // pino applies `formatters.bindings` to the root's bindings only (children
  // reset it), so child bindings are redacted here. Children are created with
  // Object.create(parent), so grandchildren find this same method.
  const pinoMethods = Object.getPrototypeOf(logger) as {
    child: ChildMethod;
    setBindings: SetBindingsMethod;
  };
  const pinoChild = pinoMethods.child;
  const pinoSetBindings = pinoMethods.setBindings;
  function child(this: Logger, bindings: Bindings, childOptions?: pino.ChildLoggerOptions) {
    return pinoChild.call(this, redactFields(bindings), childOptions);
  }
  function setBindings(this: Logger, bindings: Bindings) {
    pinoSetBindings.call(this, redactFields(bindings));
  }
  logger.child = child as unknown as Logger["child"];
  logger.setBindings = setBindings;

  return Object.assign(logger, {
    addSecrets: (values: Iterable<string>) => redactor.addSecrets(values),
    setSecrets: (values: Iterable<string>) => redactor.setSecrets(values),
  });
}
