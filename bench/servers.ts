/** Benchmarks' helper servers (the fake Iterable, replay servers): started as processes, ready at their `listening on URL` line. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export function startServer(args: string[]): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout }).once("line", (l: string) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m?.[1]) res({ url: m[1], stop: () => child.kill("SIGTERM") });
      else rej(new Error(l));
    });
  });
}
