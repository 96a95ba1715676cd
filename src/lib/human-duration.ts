// Docker's (go-units) HumanDuration: "Less than a second", "About a minute", "3 hours", ...
// Used by the daemon for container Status strings ("Up 5 seconds").
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60000);
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/**
 * The elapsed time (ms, greater than `ms`) at which humanDuration's text may next change: the
 * next second under a minute, the next minute under an hour and a half, then the next point
 * where the rounded hours move (days, weeks, months and years change only there). It may be
 * early (the text then stays the same), never late, so a text kept until then is exact.
 */
export function humanDurationChangesAt(ms: number): number {
  if (ms < 60_000) return (Math.floor(ms / 1000) + 1) * 1000;
  if (ms < 5_400_000) return (Math.floor(ms / 60_000) + 1) * 60_000;
  return (Math.floor(ms / 3_600_000 + 0.5) + 0.5) * 3_600_000;
}
