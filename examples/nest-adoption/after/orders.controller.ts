import { Body, Controller, Get, HttpCode, Inject, Post } from "@nestjs/common";
import { OPSKIT_POOL } from "opskit/nest";
import type { Pool } from "opskit/db";

interface Order {
  id: string;
  item: string;
  qty: number;
}

@Controller("orders")
export class OrdersController {
  constructor(@Inject(OPSKIT_POOL) private readonly pool: Pool) {}

  @Get()
  async list(): Promise<Order[]> {
    return (await this.pool.query<Order>("select id, item, qty from orders order by id")).rows;
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: { item: string; qty: number }): Promise<Order> {
    const { rows } = await this.pool.query<Order>(
      "insert into orders (item, qty) values ($1, $2) returning id, item, qty",
      [body.item, body.qty],
    );
    return rows[0]!;
  }
}
