import type { JWTPayload } from "jose";

/** Who is calling: what a verified bearer token or Basic credential says. */
export interface Principal {
  /** The token's `sub`, or the Basic user's name: what log lines carry (never the token). */
  readonly subject: string;
  /** Roles from the roles claim (or the Basic user's role); empty when the claim is absent. */
  readonly roles: readonly string[];
  /** How the caller proved it: a bearer JWT or HTTP Basic. */
  readonly scheme: "bearer" | "basic";
  /** The verified claims of a bearer token (`{}` for Basic). */
  readonly claims: Readonly<JWTPayload>;
  /** When the token stops being valid (bearer only). */
  readonly expiresAt?: Date;
}

/** Why no principal was attached: the token or credential was there but not valid. */
export interface AuthFailure {
  readonly scheme: "bearer" | "basic";
  /** A short, safe reason (`expired`, `bad_signature`, `wrong_audience`…): logged and sent as `error_description`. */
  readonly reason: string;
}

/**
 * The Hono variables the auth middleware sets: `c.get("principal")` in a
 * handler behind `requireAuth()` is always defined.
 *
 * @example
 * const app = new Hono<AuthEnv>();
 * app.get("/me", requireAuth(), (c) => c.json({ sub: c.get("principal")?.subject }));
 */
export interface AuthEnv {
  Variables: {
    principal?: Principal;
    authFailure?: AuthFailure;
    /** The challenges a 401 offers (`Bearer realm="api"`), set by the auth middleware. */
    authChallenge?: AuthChallenge;
    requestId?: string;
  };
}

/** What the middleware knows for a 401: the realm and the schemes it accepts. */
export interface AuthChallenge {
  readonly realm: string;
  readonly bearer: boolean;
  readonly basic: boolean;
}
