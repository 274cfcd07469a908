import type { Writable } from "node:stream";

/** What a command gets from the composition root (src/cli/main.ts). */
export interface CommandContext {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** One CLI command: one file under src/cli/commands/. */
export interface Command {
  name: string;
  /** One line for `itd help`. */
  summary: string;
  /** Usage line(s) and examples for `itd help NAME`. */
  usage: string;
  /** Internal commands (the daemon's job processes) are left out of `itd help`. */
  hidden?: boolean;
  /** Resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}
