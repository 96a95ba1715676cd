// System: what `berth info`, `berth version` and `berth system df` show.
import { api } from '../api.js';
import { bytes } from '../format.js';
import { useLive } from '../live.js';
import { Loading } from '../ui.js';

export function SystemView() {
  const { data, error } = useLive(() => Promise.all([api.info(), api.version(), api.df()]), ['container', 'image', 'volume', 'network']);
  if (!data) return <Loading error={error} />;
  const [info, version, df] = data;
  const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
  const rows: [string, string | number][] = [
    ['Server version', version.Version],
    ['API version', `${version.ApiVersion} (minimum ${version.MinAPIVersion ?? ''})`],
    ['OS / arch', `${info.OperatingSystem} · ${version.Os}/${version.Arch}`],
    ['Kernel', info.KernelVersion],
    ['Containers', `${info.Containers} (${info.ContainersRunning} running, ${info.ContainersPaused} paused, ${info.ContainersStopped} stopped)`],
    ['Images', info.Images],
    ['Storage driver', info.Driver],
    ['Cgroup', `${info.CgroupDriver} v${info.CgroupVersion}`],
    ['Runtimes', `${Object.keys(info.Runtimes ?? {}).join(', ')} (default ${info.DefaultRuntime})`],
    ['CPUs / memory', `${info.NCPU} · ${bytes(info.MemTotal)}`],
    ['Root dir', info.DockerRootDir],
  ];
  const df_ = [
    ['Images', df.Images?.length ?? 0, bytes(sum((df.Images ?? []).map((i) => i.Size)))],
    ['Containers', df.Containers?.length ?? 0, bytes(sum((df.Containers ?? []).map((c) => c.SizeRw)))],
    ['Local volumes', df.Volumes?.length ?? 0, bytes(sum((df.Volumes ?? []).map((v) => v.UsageData?.Size)))],
    ['Build cache', df.BuildCache?.length ?? 0, bytes(sum((df.BuildCache ?? []).map((b) => b.Size)))],
  ] as const;
  return (
    <section>
      <h2>System</h2>
      <table class="kv" data-testid="info">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Disk usage</h3>
      <table data-testid="df">
        <thead>
          <tr>
            <th>Type</th>
            <th>Total</th>
            <th>Size</th>
          </tr>
        </thead>
        <tbody>
          {df_.map(([k, n, s]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{n}</td>
              <td>{s}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
