// Live CPU and memory of one container from the stats stream (one sample a second), drawn with
// uPlot over the last two minutes.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ContainerStats } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { bytes } from '../format.js';

const WINDOW = 120;

/** docker stats' CPU %: the container's share of all CPUs' time since the previous sample. */
export function cpuPercent(s: ContainerStats): number {
  const cpu = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats.cpu_usage?.total_usage ?? 0);
  const system = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
  return system > 0 && cpu > 0 ? (cpu / system) * cpus * 100 : 0;
}

/** docker stats' memory: usage without the page cache it could drop. */
export function memoryUsed(s: ContainerStats): number {
  const st = s.memory_stats.stats ?? {};
  return Math.max(0, (s.memory_stats.usage ?? 0) - (st.inactive_file ?? st.total_inactive_file ?? 0));
}

function chart(el: HTMLElement, label: string, color: string, fmt: (v: number) => string): uPlot {
  return new uPlot(
    {
      width: Math.max(300, el.clientWidth),
      height: 160,
      legend: { show: false },
      series: [{}, { label, stroke: color, fill: `${color}33`, width: 1.5 }],
      axes: [{ stroke: '#889' }, { stroke: '#889', size: 70, values: (_u, vals) => vals.map(fmt) }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(max, label === 'CPU' ? 1 : 1024 * 1024)] } },
    },
    [[], []],
    el,
  );
}

export function StatsPanel(props: { id: string }) {
  const cpuEl = useRef<HTMLDivElement>(null);
  const memEl = useRef<HTMLDivElement>(null);
  const [now, setNow] = useState<{ cpu: number; mem: number; limit: number } | undefined>(undefined);
  useEffect(() => {
    if (!cpuEl.current || !memEl.current) return;
    const cpu = chart(cpuEl.current, 'CPU', '#3b82f6', (v) => `${v.toFixed(1)} %`);
    const mem = chart(memEl.current, 'Memory', '#10b981', (v) => bytes(v));
    const t: number[] = [];
    const c: number[] = [];
    const m: number[] = [];
    const ac = new AbortController();
    (async () => {
      for await (const s of api.containerStats(props.id, { stream: true, signal: ac.signal })) {
        t.push(Date.parse(s.read) / 1000 || Date.now() / 1000);
        c.push(cpuPercent(s));
        m.push(memoryUsed(s));
        if (t.length > WINDOW) [t, c, m].forEach((a) => a.shift());
        cpu.setData([t, c]);
        mem.setData([t, m]);
        setNow({ cpu: c[c.length - 1]!, mem: m[m.length - 1]!, limit: s.memory_stats.limit ?? 0 });
      }
    })().catch(() => {});
    return () => {
      ac.abort();
      cpu.destroy();
      mem.destroy();
    };
  }, [props.id]);
  return (
    <div class="stats">
      <p data-testid="stats-now">
        {now ? `CPU ${now.cpu.toFixed(1)} % · memory ${bytes(now.mem)}${now.limit ? ` of ${bytes(now.limit)}` : ''}` : 'Waiting for the first sample…'}
      </p>
      <h3>CPU</h3>
      <div ref={cpuEl} class="chart" />
      <h3>Memory</h3>
      <div ref={memEl} class="chart" />
    </div>
  );
}
