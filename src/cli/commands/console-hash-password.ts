import { hashPassword, MIN_PASSWORD_LENGTH } from "../../auth/index.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";

/** Reads one password: typed without echo at a terminal, or all of a pipe (one trailing newline dropped). */
async function readPassword(prompt: (text: string) => void): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = "";
    stdin.setEncoding("utf8");
    for await (const chunk of stdin) text += chunk as string;
    return text.replace(/\r?\n$/, "");
  }
  prompt("Password (not echoed): ");
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  let text = "";
  try {
    for await (const chunk of stdin) {
      for (const ch of chunk as string) {
        if (ch === "\r" || ch === "\n") return text;
        if (ch === "\u0003") throw new UsageError("cancelled");
        text = ch === "\u007f" ? text.slice(0, -1) : text + ch;
      }
    }
    return text;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    prompt("\n");
  }
}

export const consoleHashPassword: Command = {
  name: "console hash-password",
  summary: "Hash a console password for OPSKIT_CONSOLE_USERS (scrypt)",
  usage: `opskit console hash-password < password-file

Reads a password (typed without echo at a terminal, or from a pipe) and
prints its scrypt hash, to put in OPSKIT_CONSOLE_USERS in place of the plain
password:  name:role:scrypt$32768$8$1$…  The plain password then lives in
no environment variable. Passwords need 12 characters or more.`,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument: ${args[0]}`);
    const password = await readPassword((text) => process.stderr.write(text));
    if (password.length < MIN_PASSWORD_LENGTH) {
      io.err(`A console password needs ${MIN_PASSWORD_LENGTH} characters or more.`);
      return EXIT.usage;
    }
    io.out(await hashPassword(password));
    return EXIT.ok;
  },
};
