/** Instants as UTC ISO strings, so failures read as times rather than numbers. */
export function utc(...isoWithOffsets: string[]): string[] {
  return isoWithOffsets.map((s) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) throw new Error(`bad ISO string in test: ${s}`);
    return new Date(ms).toISOString();
  });
}

export function shown(slots: readonly number[]): string[] {
  return slots.map((ms) => new Date(ms).toISOString());
}

export function at(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad ISO string in test: ${iso}`);
  return ms;
}
