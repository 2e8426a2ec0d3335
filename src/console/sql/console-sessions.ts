import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../../db/index.js";
import type { Role } from "../permissions.js";

export interface ConsoleSession {
  actor: string;
  role: Role;
  csrfToken: string;
  expiresAt: Date;
}

const sessionId = (cookie: string): string => createHash("sha256").update(cookie).digest("hex");

/** Starts a session; returns the cookie value (only its hash is stored) and the session. */
export async function createConsoleSession(
  db: Queryable,
  login: { actor: string; role: Role; ttlMs: number; userAgent: string | undefined },
): Promise<{ cookie: string; session: ConsoleSession }> {
  const cookie = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(32).toString("base64url");
  // Expired sessions go here, so no cleaner is needed: logins are rare.
  await db.query("delete from opskit.console_sessions where expires_at < now()");
  const { rows } = await db.query<{ expires_at: Date }>(
    `insert into opskit.console_sessions (id, actor, role, csrf_token, expires_at, user_agent)
     values ($1, $2, $3, $4, now() + $5::bigint * interval '1 millisecond', $6)
     returning expires_at`,
    [
      sessionId(cookie),
      login.actor,
      login.role,
      csrfToken,
      login.ttlMs,
      login.userAgent?.slice(0, 300) ?? null,
    ],
  );
  return {
    cookie,
    session: { actor: login.actor, role: login.role, csrfToken, expiresAt: rows[0]!.expires_at },
  };
}

/** The live session a cookie names, if any. */
export async function findConsoleSession(
  db: Queryable,
  cookie: string,
): Promise<ConsoleSession | undefined> {
  const { rows } = await db.query<{
    actor: string;
    role: Role;
    csrf_token: string;
    expires_at: Date;
  }>(
    `select actor, role, csrf_token, expires_at from opskit.console_sessions
      where id = $1 and expires_at > now()`,
    [sessionId(cookie)],
  );
  const row = rows[0];
  return (
    row && {
      actor: row.actor,
      role: row.role,
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
    }
  );
}

export async function deleteConsoleSession(db: Queryable, cookie: string): Promise<void> {
  await db.query("delete from opskit.console_sessions where id = $1", [sessionId(cookie)]);
}
