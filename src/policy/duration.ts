/**
 * Durations as people write them in configuration and commands: `90s`, `30m`, `2h`, `1d`,
 * or a combination such as `1h30m`. Pure; returns milliseconds or null when unreadable.
 */
const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(?:\d+[smhd])+$/;

export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (!DURATION_PATTERN.test(trimmed)) return null;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+)([smhd])/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] as string] ?? 0);
  }
  return total > 0 && Number.isSafeInteger(total) ? total : null;
}

/**
 * A configured duration (a timeout, a JIT window) in the config file's own syntax, `1h30m`,
 * `45s`, so what the PR says can be written back into the file. Measured times use
 * `formatElapsed` (render/helpers.ts) instead.
 */
export function formatDurationSetting(ms: number): string {
  if (ms <= 0) return "0s";
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const count = Math.floor(rest / seconds);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * seconds;
    }
  }
  return parts.join("");
}
