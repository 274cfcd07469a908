import { ItdError } from "../errors.js";
import { itdVersion } from "../version.js";
import { ArgumentError } from "./args.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT_CODES } from "./exit-codes.js";
import { COMMANDS } from "./registry.js";

const GLOBAL_HELP = `Global options (before or after the command; a command's own flag of the same name wins after it):
  --home DIR           state and warehouse (default $ITD_HOME, the config file's home:, else ~/.local/share/itd)
  --warehouse URL      where imports go: sqlite (the home's files, the default) or postgresql://USER@HOST:PORT/DB
                       (default $ITD_WAREHOUSE, else the config file's warehouse:)
  --state URL          where schedules, jobs and cursors live: sqlite (the home's state.db, the default) or
                       postgresql://USER@HOST:PORT/DB, shared by daemons on several hosts
                       (default $ITD_STATE, else the config file's state:)
  -c, --config FILE    the itd config file (default $ITD_CONFIG, else ./config/itd.yml); after a command
                       that has its own -c (connector:update), write --itd-config FILE
  -v, --verbose        debug logs and stack traces on stderr; after a command with its own -v (job:show), --itd-verbose
  --version            itd's version
  -h, --help           this help`;

function helpText(): string {
  const shown = COMMANDS.filter((c) => c.hidden !== true);
  const width = Math.max(...shown.map((c) => c.name.length));
  const lines = shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.aliases?.length ? ` (also: ${c.aliases.join(", ")})` : ""}`);
  return [
    "usage: itd [global options] <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    GLOBAL_HELP,
    "",
    "Run 'itd help <command>' for a command's usage and examples.",
    "",
  ].join("\n");
}

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name) === true);
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions): `lsit` is one step from `list`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((d[i - 1] as number[])[j] as number + 1, (row[j - 1] as number) + 1, ((d[i - 1] as number[])[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The commands (by their names and aliases) an unknown name is probably a typo of. */
export function suggestCommands(name: string): string[] {
  const names = COMMANDS.filter((c) => c.hidden !== true).flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const scored = names.map((n) => ({ n, d: editDistance(name.toLowerCase(), n) })).filter((x) => x.d <= Math.max(2, Math.floor(name.length / 5)));
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.n);
}

interface Globals {
  home?: string;
  warehouse?: string;
  state?: string;
  config?: string;
  verbose: boolean;
  version: boolean;
  help: boolean;
}

/**
 * td's `td [global options] COMMAND [args]`: the global options before the
 * command. Returns them and the index of the command name.
 */
export function parseLeadingGlobals(argv: readonly string[]): { globals: Globals; index: number } {
  const globals: Globals = { verbose: false, version: false, help: false };
  let i = 0;
  const value = (flag: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = argv[i + 1];
    if (v === undefined || v === "") throw new ArgumentError(`option '${flag}' needs a value`);
    i++;
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("-") || a === "-") break;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    switch (flag) {
      case "--home":
        globals.home = value(flag, inline);
        break;
      case "--warehouse":
        globals.warehouse = value(flag, inline);
        break;
      case "--state":
        globals.state = value(flag, inline);
        break;
      case "-c":
      case "--config":
      case "--itd-config":
        if (globals.config !== undefined) throw new ArgumentError("give the itd config file once");
        globals.config = value(flag, inline);
        break;
      case "-v":
      case "--verbose":
      case "--itd-verbose":
        globals.verbose = true;
        break;
      case "--version":
        globals.version = true;
        break;
      case "-h":
      case "--help":
        globals.help = true;
        break;
      default:
        throw new ArgumentError(`unknown global option '${a}' (before the command: --home DIR, --warehouse URL, --state URL, -c/--config FILE, -v/--verbose, --version, -h/--help)`);
    }
  }
  return { globals, index: i };
}

/** What an error that ends a command says, and the exit code it ends with. */
interface ErrorReport {
  message: string;
  /** ItdError's code; `internal` for anything else. */
  code: string;
  hints: readonly string[];
  /** For an ArgumentError: the command's usage line. */
  usage: string | undefined;
  /** The stack when asked for (--verbose); `unexpected` errors always carry it too, for a log. */
  stack: string | undefined;
  unexpected: boolean;
  exitCode: number;
}

function describeError(err: unknown, verbose: boolean, command?: Command): ErrorReport {
  const stackOf = (e: unknown): string | undefined => (e instanceof Error ? e.stack : undefined);
  if (err instanceof ItdError) {
    const usage = err instanceof ArgumentError && command ? `usage: ${command.usage.split("\n")[0] ?? ""}` : undefined;
    return { message: err.message, code: err.code, hints: err.hints, usage, stack: verbose ? err.stack : undefined, unexpected: false, exitCode: EXIT_CODES[err.code] };
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) {
    // Another process held a write lock past the busy timeout (a long write, or a process stopped mid-write).
    return {
      message: `${message}: another itd process kept state.db's write lock past the 10 s busy timeout; nothing was changed, try again`,
      code: "store", hints: [], usage: undefined, stack: verbose ? stackOf(err) : undefined, unexpected: false, exitCode: EXIT_CODES.store,
    };
  }
  return { message, code: "internal", hints: [], usage: undefined, stack: stackOf(err), unexpected: true, exitCode: EXIT_CODES.internal };
}

/** Writes an error the way TD does (`Error: …`), plus hints, and returns the exit code. */
export function reportError(err: unknown, ctx: Pick<CommandContext, "stderr">, verbose: boolean, command?: Command): number {
  const r = describeError(err, verbose, command);
  if (r.usage !== undefined) ctx.stderr.write(`${r.usage}\n`);
  ctx.stderr.write(`Error: ${r.message}\n`);
  for (const hint of r.hints) ctx.stderr.write(`${hint}\n`);
  if (verbose && r.stack !== undefined) ctx.stderr.write(`${r.stack}\n`);
  else if (r.unexpected) ctx.stderr.write("(an unexpected error; run again with --verbose for the stack trace)\n");
  return r.exitCode;
}

/**
 * Logs an error the way the daemon logs (design §6, JSON on stdout): one line
 * at level fatal, `msg` the problem, with its code, hints and (for an
 * unexpected error, or with --verbose) stack. Returns the exit code.
 */
export async function logError(err: unknown, ctx: Pick<CommandContext, "stdout">, verbose: boolean, command?: Command): Promise<number> {
  const r = describeError(err, verbose, command);
  const fields = {
    code: r.code,
    ...(r.hints.length > 0 ? { hints: r.hints } : {}),
    ...(r.usage !== undefined ? { usage: r.usage } : {}),
    ...(r.stack !== undefined ? { stack: r.stack } : {}),
  };
  // pino is loaded here, not at start-up: only the daemon logs its errors.
  const { createLogger } = await import("../log.js");
  createLogger({ destination: ctx.stdout }).fatal(fields, r.message);
  return r.exitCode;
}

/** The CLI's composition root: picks the command and runs it with the real process context. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new ItdError("interrupted", `interrupted by ${sig}`));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const ctxBase = { env: process.env, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), signal: controller.signal };
  // A closed pipe (`itd … | head -1`) is not an error: a command that only prints stops quietly with 0; one
  // that does work (an import) finishes it without output. Either way no EPIPE stack trace.
  const running: { command?: Command | undefined } = {};
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") {
      process.stderr.write(`Error: cannot write the output: ${err.message}\n`);
      process.exit(EXIT_CODES.internal);
    }
    if (running.command?.finishesOnClosedPipe !== true) process.exit(0);
  });
  process.stderr.on("error", () => undefined);
  let parsed;
  try {
    parsed = parseLeadingGlobals(argv);
  } catch (err) {
    ctxBase.stderr.write("usage: itd [global options] <command> [options]\n");
    return reportError(err, ctxBase, false);
  }
  const { globals, index } = parsed;
  const [name, ...after] = argv.slice(index);
  if (globals.version || name === "--version" || name === "version") {
    ctxBase.stdout.write(`itd ${itdVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === "help") {
    const target = after[0] !== undefined ? findCommand(after[0]) : undefined;
    ctxBase.stdout.write(target ? `usage: ${target.usage}\n` : helpText());
    return 0;
  }
  const command = findCommand(name);
  running.command = command;
  if (!command) {
    const like = suggestCommands(name);
    ctxBase.stderr.write(`Error: unknown command '${name}'${like.length > 0 ? `; did you mean ${like.map((n) => `'${n}'`).join(" or ")}?` : ""}\nRun 'itd help' for the list of commands.\n`);
    return EXIT_CODES.usage;
  }
  if (globals.help || after.includes("--help") || after.includes("-h")) {
    ctxBase.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  // The global options given before the command go to it by their unambiguous names.
  // (In front, so the command's own flags after them win and a `--` in its arguments stays last.)
  const rest = [
    ...(globals.home !== undefined ? ["--home", globals.home] : []),
    ...(globals.warehouse !== undefined ? ["--warehouse", globals.warehouse] : []),
    ...(globals.state !== undefined ? ["--state", globals.state] : []),
    ...(globals.config !== undefined ? ["--itd-config", globals.config] : []),
    ...(globals.verbose ? ["--itd-verbose"] : []),
    ...after,
  ];
  const verbose = rest.includes("--itd-verbose") || (command.ownsVerbose !== true && rest.includes("--verbose"));
  try {
    const impl = await command.load();
    return await impl.run({ ...ctxBase, argv: rest });
  } catch (err) {
    return command.logsErrors === true ? await logError(err, ctxBase, verbose, command) : reportError(err, ctxBase, verbose, command);
  }
}
