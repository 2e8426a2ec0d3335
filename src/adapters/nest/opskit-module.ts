import type { Server } from "node:http";
import {
  HttpException,
  Module,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExceptionFilter,
  type ExecutionContext,
  type FactoryProvider,
  type ModuleMetadata,
  type NestInterceptor,
} from "@nestjs/common";
import { APP_FILTER, APP_INTERCEPTOR, HttpAdapterHost } from "@nestjs/core";
import type { Request, Response } from "express";
import { Observable } from "rxjs";
import type { Manifest } from "../../config/index.js";
import { runWithLogContext } from "../../log/index.js";
import { createInboxAdmin } from "../../inbox/index.js";
import { createJobsAdmin } from "../../jobs/index.js";
import type { ServiceOptions } from "../../service/index.js";
import {
  startAdaptedService,
  type AdaptedService,
  type FrameworkAnswer,
} from "../adapted-service.js";
import { frameworkClientError } from "../client-error.js";
import { opskitExpress, type OpskitLocals } from "../express/index.js";

/** The adapted service (`AdaptedService`): `@Inject(OPSKIT) opskit: AdaptedService<unknown>`. */
export const OPSKIT = Symbol.for("opskit:service");
/** The job queue: `@Inject(OPSKIT_QUEUE) queue: Queue`. */
export const OPSKIT_QUEUE = Symbol.for("opskit:queue");
/** The pg pool: `@Inject(OPSKIT_POOL) pool: Pool`. */
export const OPSKIT_POOL = Symbol.for("opskit:pool");
/** The pino logger (request and job context on every line): `@Inject(OPSKIT_LOGGER) log: Logger`. */
export const OPSKIT_LOGGER = Symbol.for("opskit:logger");
/** The jobs admin handle (`createJobsAdmin`). */
export const OPSKIT_JOBS_ADMIN = Symbol.for("opskit:jobs-admin");
/** The inbox admin handle (`createInboxAdmin`). */
export const OPSKIT_INBOX_ADMIN = Symbol.for("opskit:inbox-admin");

/** `forRootAsync`: the service's options from other providers (a config service…). */
export interface OpskitModuleAsyncOptions<M extends Manifest> extends Pick<
  ModuleMetadata,
  "imports"
> {
  inject?: FactoryProvider["inject"];
  useFactory: (...deps: any[]) => ServiceOptions<M> | Promise<ServiceOptions<M>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Nest's own factory signature
}

// The lifecycle is Nest's: `close()` runs onModuleDestroy, then
// beforeApplicationShutdown (readiness fails, the drain delay passes: load
// balancers stop routing while the server still serves), then Nest closes
// the HTTP server (in-flight requests finish), then onApplicationShutdown
// (the parts stop in reverse: workers drained, then the pool closed).
class OpskitLifecycle {
  constructor(
    readonly adapted: AdaptedService<unknown>,
    private readonly express: ReturnType<typeof opskitExpress>,
    private readonly server: () => Server | undefined,
  ) {}
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await this.adapted.service.drain(signal ?? "nest close");
    const server = this.server();
    if (server) this.express.closing(server);
  }
  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.adapted.shutdown(async () => undefined, signal ?? "nest close");
  }
}

/**
 * opskit as a Nest module (on `@nestjs/platform-express`): every part of
 * the service (probes, `/metrics`, the inbox on the raw body, the console,
 * the worker), the request id and log context for every controller, the
 * error envelope as a global exception filter, guards (`OpskitGuard`), the
 * shutdown in Nest's lifecycle, and providers for the queue, the pool, the
 * logger and the admin handles. Enable Nest's shutdown hooks
 * (`app.enableShutdownHooks([], { useProcessExit: true })`) so SIGTERM
 * runs it; do not set `forceCloseConnections` (it cuts in-flight requests).
 *
 * @example
 * Module({ imports: [OpskitModule.forRoot({ name: "shop", version: "1.0.0", jobs })] })(AppModule);
 */
export class OpskitModule {
  static forRoot<M extends Manifest>(options: ServiceOptions<M>): DynamicModule {
    return OpskitModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync<M extends Manifest>(options: OpskitModuleAsyncOptions<M>): DynamicModule {
    const OPTIONS = Symbol("opskit:options");
    const lifecycle: FactoryProvider<OpskitLifecycle> = {
      provide: OpskitLifecycle,
      inject: [OPTIONS, HttpAdapterHost],
      useFactory: async (serviceOptions: ServiceOptions<M>, host: HttpAdapterHost) => {
        const adapted = (await startAdaptedService(serviceOptions)) as AdaptedService<unknown>;
        const express = opskitExpress(adapted);
        // Registered while Nest builds its modules, so before Nest's own body
        // parsers (added at init): opskit's routes read the raw body.
        const httpAdapter = host.httpAdapter;
        const app = httpAdapter.getInstance<{ use: (handler: unknown) => void }>();
        app.use(express.router);
        return new OpskitLifecycle(adapted, express, () => httpAdapter.getHttpServer() as Server);
      },
    };
    const from = <T>(token: symbol | string, make: (adapted: AdaptedService<unknown>) => T) => ({
      provide: token,
      inject: [OpskitLifecycle],
      useFactory: (l: OpskitLifecycle) => make(l.adapted),
    });
    return {
      module: OpskitModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        lifecycle,
        from(OPSKIT, (a) => a),
        from(OPSKIT_QUEUE, (a) => a.service.queue),
        from(OPSKIT_POOL, (a) => a.service.pool),
        from(OPSKIT_LOGGER, (a) => a.service.log),
        from(OPSKIT_JOBS_ADMIN, (a) => createJobsAdmin(a.service.pool)),
        from(OPSKIT_INBOX_ADMIN, (a) => createInboxAdmin(a.service.pool)),
        from(APP_FILTER, (a) => new OpskitExceptionFilter(a)),
        from(APP_INTERCEPTOR, () => new OpskitContextInterceptor()),
      ],
      exports: [
        OPSKIT,
        OPSKIT_QUEUE,
        OPSKIT_POOL,
        OPSKIT_LOGGER,
        OPSKIT_JOBS_ADMIN,
        OPSKIT_INBOX_ADMIN,
      ],
    };
  }
}
Module({})(OpskitModule);

/** A guard's refusal, answered by the exception filter in opskit's envelope (with `WWW-Authenticate`). */
class GuardRefusal extends Error {
  constructor(readonly answer: FrameworkAnswer) {
    super(answer.body.error.message);
  }
}

/**
 * A Nest guard: 401 without a valid bearer token or Basic credential, 403
 * without one of `roles` (none: any authenticated caller).
 *
 * @example
 * @UseGuards(OpskitGuard("admin")) @Post("refunds") refund() { … }
 */
export function OpskitGuard(...roles: string[]): CanActivate {
  return {
    canActivate(context: ExecutionContext) {
      const res = context.switchToHttp().getResponse<Response>();
      const refusal = (res.locals as OpskitLocals).opskitRefusal?.(roles);
      if (refusal) throw new GuardRefusal(refusal);
      return true;
    },
  };
}

/** Every error a controller throws, in opskit's envelope: Nest's 4xx with their message, the rest as opskit answers them. */
class OpskitExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapted: AdaptedService<unknown>) {}
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    let answer: FrameworkAnswer;
    if (exception instanceof GuardRefusal) answer = exception.answer;
    else {
      const started =
        (res.locals as Partial<OpskitLocals>).opskit ?? this.adapted.begin(req.headers);
      const thrown =
        exception instanceof HttpException && exception.getStatus() < 500
          ? frameworkClientError({ status: exception.getStatus() }, exception.message)
          : exception;
      const route = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
      answer = this.adapted.answerError(thrown, started, { method: req.method, route });
    }
    res.status(answer.status).set(answer.headers).json(answer.body);
  }
}

/** Runs each controller inside its request's log context (Nest calls handlers after the body is parsed). */
class OpskitContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    const started = (res.locals as Partial<OpskitLocals>).opskit;
    if (!started) return next.handle();
    return new Observable((subscriber) =>
      runWithLogContext(started.context, () => next.handle().subscribe(subscriber)),
    );
  }
}
