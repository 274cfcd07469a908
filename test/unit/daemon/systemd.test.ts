import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultDaemonConfig } from "../../../src/config/file.js";

const UNIT_FILE = fileURLToPath(new URL("../../../config/itd.service", import.meta.url));
const UNIT = readFileSync(UNIT_FILE, "utf8");

/** Directive values per section, in order (`CapabilityBoundingSet=` is an empty string). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current === undefined || eq < 0) throw new Error(`not a directive: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const SYSTEMD_ANALYZE = spawnSync("systemd-analyze", ["--version"]).error === undefined ? "systemd-analyze" : undefined;

/**
 * `systemd-analyze verify` of a copy of `text` whose ExecStart runs /bin/true
 * (itd is not installed system-wide, and verify checks that the binary
 * exists). Returns the problems: a non-zero exit, and any line about the unit
 * itself. systemd reports unknown keys, unknown sections and unparsable values
 * as warnings ("…, ignoring.") and still exits 0, hence the line check. Lines
 * about other units on the host are not ours and are left out. User=itd needs
 * no such user here: verify does not resolve users (they are resolved when the
 * service starts); should a systemd version warn that user or group itd does
 * not exist, that line is allowed, since the install steps create the user.
 */
function verifyProblems(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "itd-unit-"));
  const file = join(dir, "itd.service");
  writeFileSync(file, text.replace(/^ExecStart=.*$/m, "ExecStart=/bin/true"));
  const r = spawnSync(SYSTEMD_ANALYZE ?? "systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
  const ours = lines
    .filter((l) => l.includes(file) || l.includes("itd.service"))
    .filter((l) => !/\b(user|group)\b.*\bitd\b.*(not exist|not found|no such|failed to resolve)/i.test(l));
  return r.status === 0 ? ours : [`systemd-analyze verify exited with ${String(r.status)}`, ...ours, ...lines.filter((l) => !ours.includes(l))];
}

describe("config/itd.service", () => {
  const unit = parseUnit(UNIT);
  const value = (section: string, key: string): string[] | undefined => unit.get(section)?.get(key);

  it("has the [Unit], [Service] and [Install] sections and nothing else", () => {
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
  });

  it("describes itself and waits for the network", () => {
    expect(value("Unit", "Description")?.[0]).toMatch(/itd/);
    expect(value("Unit", "Documentation")?.[0]).toMatch(/^(https?|file|man|info):/);
    expect(value("Unit", "After")).toEqual(["network-online.target"]);
    expect(value("Unit", "Wants")).toEqual(["network-online.target"]);
    expect(value("Install", "WantedBy")).toEqual(["multi-user.target"]);
  });

  it("runs `itd daemon` as the itd user with its home, config and secrets", () => {
    const expected: Record<string, string> = {
      Type: "simple",
      User: "itd",
      Group: "itd",
      Environment: "ITD_HOME=/var/lib/itd",
      EnvironmentFile: "-/etc/itd/itd.env",
      ExecReload: "/bin/kill -HUP $MAINPID",
      Restart: "on-failure",
      RestartSec: "5",
      StateDirectory: "itd",
      StateDirectoryMode: "0700",
      UMask: "0077",
      KillSignal: "SIGTERM",
      ReadWritePaths: "/var/lib/itd",
    };
    for (const [key, v] of Object.entries(expected)) expect(value("Service", key), key).toEqual([v]);
    expect(value("Service", "ExecStart")?.[0]).toMatch(/\bitd daemon --config \/etc\/itd\/itd\.yml$/);
  });

  it("sends its stop signal to the daemon alone (KillMode=mixed): job processes get the shutdown grace, not systemd's SIGTERM", () => {
    // The default (control-group) SIGTERMs every process of the unit at once: each running job, warm or fresh,
    // would stop at once and end killed (its slot not run again) instead of finishing within shutdown_grace.
    expect(value("Service", "KillMode")).toEqual(["mixed"]);
  });

  it("gives running jobs longer to stop than the daemon's shutdown grace", () => {
    const timeout = Number(value("Service", "TimeoutStopSec")?.[0]);
    expect(timeout).toBe(45);
    expect(timeout).toBeGreaterThan(defaultDaemonConfig().shutdown_grace);
  });

  it("is hardened, except for what V8's JIT needs", () => {
    const hardening: Record<string, string> = {
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      NoNewPrivileges: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6",
      RestrictNamespaces: "yes",
      LockPersonality: "yes",
      MemoryDenyWriteExecute: "no",
      SystemCallArchitectures: "native",
      CapabilityBoundingSet: "",
    };
    for (const [key, v] of Object.entries(hardening)) expect(value("Service", key), key).toEqual([v]);
    const lines = UNIT.split("\n");
    const mdwx = lines.findIndex((l) => l.startsWith("MemoryDenyWriteExecute="));
    expect(lines[mdwx - 1], "a comment says why W+X memory is allowed").toMatch(/^#.*(JIT|V8)/);
  });

  describe.skipIf(SYSTEMD_ANALYZE === undefined)("systemd-analyze verify (skipped: systemd-analyze is not installed)", () => {
    it("accepts the unit", () => {
      expect(verifyProblems(UNIT)).toEqual([]);
    });

    it("would report a broken copy: an unknown key, a bad value, an unknown section, a missing binary", () => {
      const broken = {
        "unknown key": UNIT.replace(/^ProtectHome=yes$/m, "ProtectHom=yes"),
        "bad value": UNIT.replace(/^RestartSec=5$/m, "RestartSec=five"),
        "bad type": UNIT.replace(/^Type=simple$/m, "Type=simpel"),
        "unknown section": UNIT.replace(/^\[Service\]$/m, "[Servce]"),
      };
      for (const [what, text] of Object.entries(broken)) {
        expect(text, what).not.toBe(UNIT);
        expect(verifyProblems(text), what).not.toEqual([]);
      }
      const dir = mkdtempSync(join(tmpdir(), "itd-unit-"));
      const file = join(dir, "itd.service");
      writeFileSync(file, UNIT.replace(/^ExecStart=.*$/m, "ExecStart=/nonexistent/bin/itd daemon"));
      expect(existsSync("/nonexistent/bin/itd")).toBe(false);
      const r = spawnSync(SYSTEMD_ANALYZE ?? "systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
      expect(r.status).not.toBe(0);
    });
  });
});
