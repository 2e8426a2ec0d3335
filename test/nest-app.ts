// A Nest application for the adapter tests, written without decorator syntax
// (opskit's tsconfig has no experimentalDecorators): Nest's decorators are
// plain functions, applied here by call.
import "reflect-metadata";
import {
  Controller,
  Get,
  Inject,
  Module,
  Post,
  Query,
  Res,
  UseGuards,
  type INestApplication,
} from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import type { Response } from "express";
import {
  OPSKIT_LOGGER,
  OPSKIT_POOL,
  OpskitGuard,
  OpskitModule,
  type OpskitLocals,
} from "../src/adapters/nest/index.js";
import type { Pool } from "../src/db/index.js";
import type { Logger } from "../src/log/index.js";
import type { ServiceOptions } from "../src/service/index.js";
import type { Manifest } from "../src/config/index.js";
import { DUPLICATE_INSERT } from "./adapters.js";

type Method = (...args: never[]) => unknown;
function route(
  target: object,
  name: string,
  ...decorators: ((target: object, key: string, d: PropertyDescriptor) => unknown)[]
): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name)!;
  for (const decorate of decorators) decorate(target, name, descriptor);
}

class ItemsController {
  constructor(
    readonly pool: Pool,
    readonly log: Logger,
  ) {}
  hello() {
    this.log.info("hello from route");
    return { ok: true };
  }
  boom(): never {
    throw new Error("kaboom: the secret detail");
  }
  async items() {
    await this.pool.query(DUPLICATE_INSERT);
    return {};
  }
  private_(res: Response) {
    return { subject: (res.locals as OpskitLocals).principal?.subject };
  }
  admin() {
    return { ok: true };
  }
  async work(ms: string | undefined) {
    const wait = Number(ms ?? 20);
    if (wait >= 1000) this.log.info({ ms: wait }, "long work started");
    await new Promise((resolve) => setTimeout(resolve, wait));
    return { slept: wait };
  }
  async db() {
    return (await this.pool.query("select 1 as n, pg_sleep(0.01)")).rows[0] as unknown;
  }
}
const proto = ItemsController.prototype as unknown as Record<string, Method>;
Controller()(ItemsController);
Inject(OPSKIT_POOL)(ItemsController, undefined, 0);
Inject(OPSKIT_LOGGER)(ItemsController, undefined, 1);
route(proto, "hello", Get("hello"));
route(proto, "boom", Get("boom"));
route(proto, "items", Post("items"));
Res({ passthrough: true })(proto, "private_", 0);
route(proto, "private_", Get("private"), UseGuards(OpskitGuard()));
route(proto, "admin", Get("admin"), UseGuards(OpskitGuard("admin")));
Query("ms")(proto, "work", 0);
route(proto, "work", Get("work"));
route(proto, "db", Get("db"));

/** The test application: OpskitModule and one controller with the adapter contract's routes. */
export async function createNestApp<M extends Manifest>(
  options: ServiceOptions<M>,
): Promise<INestApplication> {
  class AppModule {}
  Module({ imports: [OpskitModule.forRoot(options)], controllers: [ItemsController] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.enableShutdownHooks([], { useProcessExit: true });
  return app;
}
