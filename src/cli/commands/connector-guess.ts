import { existsSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { guessColumns, proposedOut, readLoadConfigFile, readSample, serializeLoadConfig, setConfigKeys } from "../../connector/index.js";
import { ItdError } from "../../errors.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { GUESS_SAMPLE } from "../defaults.js";
import { withServices } from "../services.js";
import { waitNotes } from "../wait-notes.js";


/** TD keeps an existing output as FILE.0, FILE.1, … FILE.100 before writing. */
export function keepExisting(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  for (let i = 0; i <= 100; i++) {
    const backup = `${path}.${i}`;
    if (!existsSync(backup)) {
      renameSync(path, backup);
      return backup;
    }
  }
  throw new ItdError("conflict", `${path}: too many backups (${path}.0 … ${path}.100 exist); remove some`);
}

export const connectorGuessCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { out: { type: "string", short: "o" }, guess: { type: "string", short: "g" } },
      { min: 1, max: 1, names: "SEED.yml" },
    );
    const seedPath = positionals[0] as string;
    const outPath = values.out ?? "config.yml";
    return withServices(ctx, values, async (s) => {
      const seed = await readLoadConfigFile(resolve(ctx.cwd, seedPath), ctx.env);
      const client = await s.iterableClient(seed);
      const { records, source } = await readSample(seed, client, { now: s.clock.now(), limit: GUESS_SAMPLE, signal: ctx.signal, onEvent: waitNotes(ctx.stderr) });
      if (records.length === 0) {
        throw new ItdError("data", `guess read no records from Iterable (${source.description}); widen start_time/end_time or check the data type`);
      }
      const columns = guessColumns(records, { epochMillisFields: source.epochMillisFields, doubleFields: source.doubleFields });
      const guessed = setConfigKeys(seed, { in: { columns }, out: proposedOut(seed, columns, records) }, ctx.env);
      const fullPath = resolve(ctx.cwd, outPath);
      const format = outPath.endsWith(".json") ? "json" : "yaml";
      const backup = keepExisting(fullPath);
      writeFileSync(fullPath, serializeLoadConfig(guessed, { redact: false, format }), { mode: 0o600 });
      ctx.stdout.write(`Guessed configuration:\n\n${serializeLoadConfig(guessed, { redact: true, format })}\n`);
      if (backup) ctx.stdout.write(`Kept the previous ${outPath} as ${backup}.\n`);
      ctx.stdout.write(`Created ${outPath} file.\nUse 'itd connector:preview ${outPath}' to see bulk load preview.\n`);
      return 0;
    });
  },
};
