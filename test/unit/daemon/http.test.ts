import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { healthBody, startHealthServer, type Health, type HealthServer, type MetricsSource } from "../../../src/daemon/http.js";
import { createDaemonMetrics } from "../../../src/daemon/metrics.js";

const TICK = Date.UTC(2026, 0, 1, 9, 30, 0);

describe("the health and metrics server", () => {
  const open: HealthServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function start(health: () => Health = () => ({ ok: true, lastTick: TICK }), metrics: MetricsSource = createDaemonMetrics()): Promise<HealthServer> {
    const server = await startHealthServer({ port: 0, metrics, health });
    open.push(server);
    return server;
  }

  it("binds 127.0.0.1 by default, on an ephemeral port when given port 0", async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
  });

  it("answers /healthz with 200, the last tick as ISO time and the detail", async () => {
    const { url } = await start(() => ({ ok: true, lastTick: TICK, detail: { jobs_running: 2, schedules: 5 } }));
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok", last_tick: "2026-01-01T09:30:00.000Z", jobs_running: 2, schedules: 5 });
  });

  it("answers /healthz with 503 and status stuck when the scheduler is not healthy", async () => {
    const { url } = await start(() => ({ ok: false, lastTick: TICK, detail: { reason: "no tick for 120 s" } }));
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "stuck", last_tick: "2026-01-01T09:30:00.000Z", reason: "no tick for 120 s" });
  });

  it("asks for health on every request", async () => {
    let ok = true;
    const { url } = await start(() => ({ ok, lastTick: TICK }));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    ok = false;
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
  });

  it("answers 503 with the error when the health check itself throws", async () => {
    const { url } = await start(() => {
      throw new Error("store closed");
    });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "error", error: "store closed" });
  });

  it("serves /metrics as Prometheus text with prom-client's content type", async () => {
    const metrics = createDaemonMetrics();
    metrics.jobs.inc({ status: "success" }, 3);
    const { url } = await start(undefined, metrics);
    const res = await fetch(`${url}/metrics?debug=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metrics.contentType);
    const text = await res.text();
    expect(text).toContain('itd_jobs_total{status="success"} 3');
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
  });

  it("answers 500 when the metrics cannot be collected", async () => {
    const { url } = await start(undefined, { contentType: "text/plain", metricsText: () => Promise.reject(new Error("collector broke")) });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("collector broke");
  });

  it("answers 404 for any other path", async () => {
    const { url } = await start();
    for (const path of ["/", "/health", "/metrics/", "/healthz/x"]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      await res.body?.cancel();
    }
  });

  it("answers 405 with Allow to anything but GET and HEAD", async () => {
    const { url } = await start();
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const res = await fetch(`${url}/metrics`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      await res.body?.cancel();
    }
  });

  it("answers HEAD with the headers and no body", async () => {
    const { url } = await start();
    const res = await fetch(`${url}/healthz`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await res.text()).toBe("");
  });

  it("stops listening on close, even with a keep-alive connection open, and can be closed twice", async () => {
    const server = await startHealthServer({ port: 0, metrics: createDaemonMetrics(), health: () => ({ ok: true, lastTick: TICK }) });
    const { port } = new URL(server.url);
    // a keep-alive connection that stays idle
    await new Promise<void>((done, fail) => {
      const req = request({ host: "127.0.0.1", port, path: "/healthz", agent: false, headers: { connection: "keep-alive" } }, (res) => {
        res.resume();
        res.on("end", () => done());
      });
      req.on("error", fail);
      req.end();
    });
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it("rejects with a ConfigError naming the address when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    const { port } = blocker.address() as AddressInfo;
    try {
      const attempt = startHealthServer({ port, metrics: createDaemonMetrics(), health: () => ({ ok: true, lastTick: TICK }) });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(`http: cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });

  describe("the /healthz body", () => {
    it("shows a scheduler that never ticked as last_tick null", () => {
      expect(healthBody({ ok: false, lastTick: 0 })).toEqual({ status: "stuck", last_tick: null });
    });

    it("keeps status and last_tick even when the detail has fields of those names", () => {
      const body = healthBody({ ok: false, lastTick: TICK, detail: { status: "ok", last_tick: "later", jobs_running: 1 } });
      expect(body).toEqual({ status: "stuck", last_tick: "2026-01-01T09:30:00.000Z", jobs_running: 1 });
      expect(Object.keys(body).slice(0, 2)).toEqual(["status", "last_tick"]);
    });
  });
});
