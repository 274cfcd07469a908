import { describe, expect, it } from "vitest";
import { describeCron } from "../../../src/schedule/cron-words.js";

describe("a cron pattern in words", () => {
  it.each([
    ["10 0 * * *", "Asia/Tokyo", "every day at 00:10 Asia/Tokyo"],
    ["@daily", "UTC", "every day at 00:00 UTC"],
    ["@hourly", "UTC", "every hour at :00 UTC"],
    ["@weekly", "UTC", "on Sunday at 00:00 UTC"],
    ["@monthly", "UTC", "on the 1st of every month at 00:00 UTC"],
    ["@yearly", "UTC", "on the 1st of January at 00:00 UTC"],
    ["* * * * *", "UTC", "every minute UTC"],
    ["*/5 * * * *", "UTC", "every 5 minutes UTC"],
    ["*/5 * * * * *", "UTC", "every 5 seconds UTC"],
    ["30 15 10 * * *", "UTC", "every day at 10:15:30 UTC"],
    ["0 */6 * * *", "Europe/Berlin", "every 6 hours at :00 Europe/Berlin"],
    ["5 1,13 * * *", "UTC", "every day at 01:05 and 13:05 UTC"],
    ["15 9-17 * * 1-5", "America/New_York", "every hour at :15 from 09:00 to 17:59 on Monday to Friday America/New_York"],
    ["0 0 * * 1,3,5", "UTC", "on Monday, Wednesday and Friday at 00:00 UTC"],
    ["0 0 1,15 * *", "UTC", "on the 1st and 15th of every month at 00:00 UTC"],
    ["0 0 1 * 1", "UTC", "on the 1st of every month and on Monday at 00:00 UTC"],
    ["7 3 * 1-3 *", "UTC", "every day in January to March at 03:07 UTC"],
    ["0,30 * * * *", "UTC", "every hour at :00 and :30 UTC"],
    ["0 0 * * mon-fri", "UTC", "on Monday to Friday at 00:00 UTC"],
    ["0 12 * * 7", "UTC", "on Sunday at 12:00 UTC"],
  ])("%s in %s reads %j", (pattern, zone, words) => {
    expect(describeCron(pattern, zone)).toBe(words);
  });

  it("reads a pattern it has no words for as itself", () => {
    expect(describeCron("1,2,3,4,5,6 * * * *", "UTC")).toBe('cron "1,2,3,4,5,6 * * * *" UTC');
    expect(describeCron("0 1,3,4,9 * * *", "UTC")).toBe("every day at 01:00, 03:00, 04:00 and 09:00 UTC");
  });

  it("says a schedule without a cron runs only when asked, and an invalid pattern reads as itself", () => {
    expect(describeCron("", "UTC")).toBe("no schedule (runs only when asked)");
    expect(describeCron("61 * * * *", "UTC")).toBe('cron "61 * * * *" UTC');
  });
});
