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

/** What a command does: an object in a file under src/cli/commands/, loaded only when the command runs. */
export interface CommandImpl {
  /** Resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/**
 * One CLI command as `itd help` and the dispatcher know it (src/cli/registry.ts):
 * its names, help and behaviour flags, and how to load its code. Keeping these
 * apart from the code lets a command load only the modules it uses.
 */
export interface Command {
  name: string;
  /** One line for `itd help`. */
  summary: string;
  /** Usage line(s) and examples for `itd help NAME`. */
  usage: string;
  /** Other names td users type for it (td's `list.rb` aliases), listed by `itd help`. */
  aliases?: readonly string[];
  /** The command has its own `-v/--verbose` (td's `job:show -v`); the global one is then `--itd-verbose`. */
  ownsVerbose?: boolean;
  /**
   * The command does work beyond printing (an import, the daemon): when its
   * reader goes away (`| head`) it finishes that work without output instead
   * of stopping at once, as a command that only prints does (exit 0).
   */
  finishesOnClosedPipe?: boolean;
  /**
   * The command's output is JSON log lines (the daemon): an error it ends
   * with, even before its logger exists, is one such line at level fatal on
   * stdout, not `Error: …` text.
   */
  logsErrors?: boolean;
  /** Internal commands (the daemon's job processes) are left out of `itd help`. */
  hidden?: boolean;
  /** Imports the command's code (and only what it needs). */
  load(): Promise<CommandImpl>;
}
