import { Module } from "@nestjs/common";
import { OpskitModule } from "opskit/nest";
import { OrdersController } from "./orders.controller.js";

const migrationsDir = new URL("../migrations", import.meta.url).pathname;

@Module({
  imports: [OpskitModule.forRoot({ name: "orders", version: "1.0.0", migrationsDir })],
  controllers: [OrdersController],
})
export class AppModule {}
