/**
 * Preloaded into a benchmarked process (`node --import rss-hook.js …`): at exit
 * writes the process's peak RSS (MB, worker threads included) to the file
 * named by ITD_BENCH_RSS_FILE, so whole processes such as `bin/itd` can be
 * measured without changing them.
 */
import { writeFileSync } from "node:fs";

const file = process.env["ITD_BENCH_RSS_FILE"];
if (file !== undefined) {
  process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS / 1024)));
}
