import { Controller, Get, Inject, Module, type OnApplicationShutdown } from "@nestjs/common";
import pg from "pg";
import { OrdersController } from "./orders.controller.js";

@Controller()
class HealthController {
  constructor(@Inject("PG_POOL") private readonly pool: pg.Pool) {}
  @Get("healthz")
  async health() {
    await this.pool.query("select 1");
    return { ok: true };
  }
}

class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject("PG_POOL") private readonly pool: pg.Pool) {}
  async onApplicationShutdown() {
    await this.pool.end();
  }
}

@Module({
  controllers: [OrdersController, HealthController],
  providers: [
    {
      provide: "PG_POOL",
      useFactory: () => new pg.Pool({ connectionString: process.env.DATABASE_URL }),
    },
    { provide: PoolCloser, useClass: PoolCloser },
  ],
})
export class AppModule {}
