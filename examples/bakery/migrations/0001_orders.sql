-- Orders from the bakery's stores and their production stage.
create table orders (
  id bigserial primary key,
  store text not null,
  external_id text,
  customer text not null,
  items jsonb not null default '[]',
  stage text not null default 'Filling'
    check (stage in ('Filling', 'Covering', 'Decorating', 'Packing', 'Complete')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (store, external_id)
);
create index orders_stage_id_idx on orders (stage, id);

-- Every stage change, in order: who moved what when.
create table order_stage_changes (
  id bigserial primary key,
  order_id bigint not null references orders (id),
  from_stage text not null,
  to_stage text not null,
  changed_at timestamptz not null default now()
);
create index order_stage_changes_order_id_idx on order_stage_changes (order_id);
