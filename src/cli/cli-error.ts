/** Exit codes shared by every command: 0 ok, 1 findings or failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A wrong call: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** `config check`, `health wait`, … */
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Output): Promise<number>;
}
