/**
 * The daemon benchmarks' 10,000 schedules: ten pattern kinds (10 % due every
 * minute, hourly at a minute, every N minutes, daily, twice daily, every N
 * hours, weekly, monthly, @hourly, weekdays 9-17) in eight zones.
 */
export const ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles", "Europe/Berlin"];

export function pattern(i: number): string {
  switch (i % 10) {
    case 0:
      return "* * * * *"; // 10 % due every minute
    case 1:
      return `${i % 60} * * * *`;
    case 2:
      return `*/${[5, 10, 15, 20, 30][i % 5]} * * * *`;
    case 3:
      return `${i % 60} ${i % 24} * * *`;
    case 4:
      return `${i % 60} ${i % 24},${(i + 12) % 24} * * *`;
    case 5:
      return `${i % 60} */${[2, 3, 4, 6][i % 4]} * * *`;
    case 6:
      return `${i % 60} ${i % 24} * * ${i % 7}`;
    case 7:
      return `${i % 60} ${i % 24} ${1 + (i % 28)} * *`;
    case 8:
      return "@hourly";
    default:
      return `${i % 60} 9-17 * * 1-5`;
  }
}
