/**
 * The status listing's newest job per schedule (issue 16): a home whose
 * reading is quick sees a new failure at once, once the kept reading is
 * older than its age; a slow reading is served from the last one meanwhile.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { LastJobs } from "../../../src/daemon/status/last-jobs.js";
import type { LastJob, StatusQueries } from "../../../src/store/status.js";

function queries(clock: FakeClock, jobs: LastJob[], costMs: number): StatusQueries {
  return {
    // Two chunks, as a home of more than one chunk's schedules reads them: a turn of the event loop between.
    lastJobs(after: number) {
      clock.advance(costMs / 2);
      return after === 0 ? { jobs: [...jobs], lastId: Math.max(...jobs.map((j) => j.jobId)) } : { jobs: [], lastId: undefined };
    },
  } as unknown as StatusQueries;
}

describe("the listing's newest jobs", () => {
  it("are read again and waited for when a reading is quick: a failure shows in the next page", async () => {
    const clock = new FakeClock(0);
    const jobs: LastJob[] = [{ scheduleId: 1, jobId: 1, status: "success" }];
    const last = new LastJobs(queries(clock, jobs, 5), clock, { maxAgeMs: 10_000 });
    expect((await last.get()).get(1)?.status).toBe("success");
    jobs[0] = { scheduleId: 1, jobId: 2, status: "error" };
    clock.advance(10_000);
    expect((await last.get()).get(1)?.status).toBe("error");
  });

  it("are served from the last reading while a slow one goes on", async () => {
    const clock = new FakeClock(0);
    const jobs: LastJob[] = [{ scheduleId: 1, jobId: 1, status: "success" }];
    const last = new LastJobs(queries(clock, jobs, 500), clock, { maxAgeMs: 10_000 });
    expect((await last.get()).get(1)?.status).toBe("success");
    jobs[0] = { scheduleId: 1, jobId: 2, status: "error" };
    clock.advance(10_000);
    expect((await last.get()).get(1)?.status).toBe("success");
  });
});
