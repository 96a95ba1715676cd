// Go's time.Time.String() ("2006-01-02 15:04:05 -0700 MST") for the CLI's CreatedAt columns.
export function goTimeString(unixSeconds: number, tz = process.env.TZ): string {
  const d = new Date(unixSeconds * 1000);
  const utc = !tz || tz === 'UTC' || tz === 'Etc/UTC' ? d.getTimezoneOffset() === 0 : false;
  const off = utc ? 0 : -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())} ${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}`;
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  let zone = 'UTC';
  if (off !== 0) {
    zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '';
  }
  return `${date} ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)} ${zone}`;
}
