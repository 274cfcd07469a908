import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isProcessAlive } from "../../../src/pid.js";

describe("isProcessAlive", () => {
  it("is true for this process and false for a pid that does not exist", () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false);
  });

  it("counts an exited but unreaped child (a zombie) as dead", async () => {
    // `sh -c 'sleep 0 & exec sleep 2'`: the inner sleep exits at once and stays a zombie of the outer one.
    const sh = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 2"], { stdio: ["ignore", "pipe", "ignore"] });
    const pid = await new Promise<number>((res) => sh.stdout.once("data", (d: Buffer) => res(Number(String(d).trim()))));
    await new Promise((r) => setTimeout(r, 300));
    expect(isProcessAlive(pid)).toBe(false);
    sh.kill("SIGKILL");
  });
});
