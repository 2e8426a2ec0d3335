-- Inventory pushes to the stores (task inventory-push): one row per order and
-- SKU, so a retried push never counts twice.
create table inventory_pushes (
  order_id bigint not null references orders (id),
  sku text not null,
  store text not null,
  delta integer not null,
  job_id bigint not null,
  attempt integer not null,
  pushed_at timestamptz not null default now(),
  primary key (order_id, sku)
);

-- Every run of the reconcile schedule: what it found and re-enqueued.
create table reconcile_runs (
  id bigserial primary key,
  slot timestamptz,
  orders integer not null,
  unpushed integer not null,
  ran_at timestamptz not null default now()
);

-- Filled by the backfill task, in checkpointed batches.
create table order_item_counts (
  order_id bigint primary key references orders (id),
  items integer not null
);
