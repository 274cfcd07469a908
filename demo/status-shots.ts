/**
 * The demo's screenshots of the daemon's status pages (issue 16), for the
 * README: the schedules, one schedule, and one job, taken with Debian's
 * chromium through playwright-core. Where either is missing the demo goes on
 * and says so.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const CHROMIUM = process.env["ITD_CHROMIUM"] ?? "/usr/bin/chromium";

/**
 * Saves `status-schedules.png`, `status-schedule.png` and `status-job.png`
 * of the status pages at `base` (schedule `schedule`) into `dir`. Returns
 * the files written, or why none were.
 */
export async function statusScreenshots(base: string, schedule: string, dir: string): Promise<{ files: string[] } | { skipped: string }> {
  if (!existsSync(CHROMIUM)) return { skipped: `no ${CHROMIUM} (apt-get install chromium)` };
  let playwright: typeof import("playwright-core");
  try {
    playwright = await import("playwright-core");
  } catch {
    return { skipped: "playwright-core is not installed (npm ci)" };
  }
  const page = await fetch(`${base}/schedules/${encodeURIComponent(schedule)}`).then((r) => r.text());
  const job = /href="\/jobs\/(\d+)"/.exec(page)?.[1];
  const shots: [string, string][] = [
    ["/", "status-schedules.png"],
    [`/schedules/${encodeURIComponent(schedule)}`, "status-schedule.png"],
    ...(job === undefined ? [] : ([[`/jobs/${job}`, "status-job.png"]] as [string, string][])),
  ];
  mkdirSync(dir, { recursive: true });
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM });
  const files: string[] = [];
  try {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 760 }, colorScheme: "light" });
    for (const [path, name] of shots) {
      await tab.goto(`${base}${path}`, { waitUntil: "load" });
      const file = join(dir, name);
      await tab.screenshot({ path: file });
      files.push(file);
    }
  } finally {
    await browser.close();
  }
  return { files };
}
