import pg from "pg";

export interface SequenceState {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/**
 * Positions of every user sequence. `nextval` is not transactional: a
 * rolled-back INSERT into a serial column still advances its sequence, so a
 * dry-run that must leave the data exactly as it was puts them back.
 */
export async function snapshotSequences(client: pg.ClientBase): Promise<SequenceState[]> {
  const { rows: names } = await client.query<{ name: string }>(
    `select format('%I.%I', n.nspname, c.relname) as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema')`,
  );
  const states: SequenceState[] = [];
  for (const { name } of names) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `select last_value::text, is_called from ${name}`,
    );
    if (rows[0]) states.push({ name, lastValue: rows[0].last_value, isCalled: rows[0].is_called });
  }
  return states;
}

/** Puts back every sequence whose position moved since the snapshot. */
export async function restoreSequences(
  client: pg.ClientBase,
  states: SequenceState[],
): Promise<void> {
  for (const state of states) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `select last_value::text, is_called from ${state.name}`,
    );
    const now = rows[0];
    if (now && (now.last_value !== state.lastValue || now.is_called !== state.isCalled)) {
      await client.query("select setval($1::regclass, $2::bigint, $3)", [
        state.name,
        state.lastValue,
        state.isCalled,
      ]);
    }
  }
}
