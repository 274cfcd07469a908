/** TD's time display: `YYYY-MM-DD HH:MM:SS +ZZZZ`, in a fixed offset (UTC unless told). */
export function formatTdTime(ms: number | null | undefined, offsetMinutes = 0): string {
  if (ms === null || ms === undefined) return "";
  const d = new Date(ms + offsetMinutes * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)}`;
}

/** Unix seconds → the same display. */
export function formatUnixSeconds(s: number | null | undefined): string {
  return s === null || s === undefined ? "" : formatTdTime(s * 1000);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
