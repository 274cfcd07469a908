import { ItdError } from "../errors.js";
import { ArgumentError } from "./args.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT_CODES } from "./exit-codes.js";
import { COMMANDS } from "./registry.js";

function helpText(): string {
  const shown = COMMANDS.filter((c) => c.hidden !== true);
  const width = Math.max(...shown.map((c) => c.name.length));
  const lines = shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: itd <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Global options: --home DIR (state and warehouse; default $ITD_HOME or ~/.local/share/itd), --verbose (stack traces)",
    "Run 'itd help <command>' for a command's usage and examples.",
    "",
  ].join("\n");
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Writes an error the way TD does (`Error: …`), plus hints, and returns the exit code. */
export function reportError(err: unknown, ctx: Pick<CommandContext, "stderr">, verbose: boolean, command?: Command): number {
  if (err instanceof ItdError) {
    if (err instanceof ArgumentError && command) ctx.stderr.write(`usage: ${command.usage.split("\n")[0] ?? ""}\n`);
    ctx.stderr.write(`Error: ${err.message}\n`);
    for (const hint of err.hints) ctx.stderr.write(`${hint}\n`);
    if (verbose && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return EXIT_CODES[err.code];
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) {
    // Another process held a write lock past the busy timeout (a long write, or a process stopped mid-write).
    ctx.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}: another itd process kept state.db's write lock past the 10 s busy timeout; nothing was changed, try again\n`);
    if (verbose && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return EXIT_CODES.store;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`Error: ${message}\n`);
  if (verbose && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
  else ctx.stderr.write("(an unexpected error; run again with --verbose for the stack trace)\n");
  return EXIT_CODES.internal;
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
  const [name, ...rest] = argv;
  const verbose = argv.includes("--verbose");
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const target = rest[0] !== undefined ? findCommand(rest[0]) : undefined;
    ctxBase.stdout.write(target ? `usage: ${target.usage}\n` : helpText());
    return 0;
  }
  if (name === "--version" || name === "version") {
    ctxBase.stdout.write(`itd ${process.env["npm_package_version"] ?? "0.1.0"}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    ctxBase.stderr.write(`Error: unknown command '${name}'\n${helpText()}`);
    return EXIT_CODES.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctxBase.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run({ ...ctxBase, argv: rest });
  } catch (err) {
    return reportError(err, ctxBase, verbose, command);
  }
}
