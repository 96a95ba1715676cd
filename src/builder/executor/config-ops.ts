// Pure metadata steps: an expanded Dockerfile instruction applied to an image's runtime config,
// plus the history text Docker's classic builder records for it (`/bin/sh -c #(nop)  ENV a=b`).
// No instruction here touches the filesystem, so none makes a layer.
import { healthConfigOf, type ImageRuntimeConfig } from '../../image/image-config.js';
import type { CommandLine, Instruction } from '../dockerfile/instruction-types.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What a stage remembers between steps besides the config (moby's dispatchState). */
export interface MetaState {
  config: ImageRuntimeConfig;
  cmdSet: boolean; // CMD given in this stage: ENTRYPOINT then keeps it
  maintainer?: string;
}

export function shellOf(c: ImageRuntimeConfig): string[] {
  return c.Shell?.length ? c.Shell : DEFAULT_SHELL;
}

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuoteSlice(xs: readonly string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** Go's %v of a []string: `[a b]`. */
const goSlice = (xs: readonly string[]) => `[${xs.join(' ')}]`;

/** The command a CMD/ENTRYPOINT/RUN line stands for, with the shell prepended for shell form. */
export function commandOf(c: CommandLine, cfg: ImageRuntimeConfig): string[] {
  if (!c.prependShell) return [...c.cmd];
  return c.cmd.length ? [...shellOf(cfg), c.cmd[0]!] : [];
}

/** History created_by of a metadata step (moby's withCmdComment: two spaces after #(nop)). */
export function nopCreatedBy(cfg: ImageRuntimeConfig, comment: string): string {
  return [...shellOf(cfg), '#(nop) ', comment].join(' ');
}

/** History created_by of COPY/ADD (moby's withCmdCommentString: one space). */
export function nopCreatedByString(cfg: ImageRuntimeConfig, comment: string): string {
  return [...shellOf(cfg), `#(nop) ${comment}`].join(' ');
}

function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const s = ns / 1e9;
  return Number.isInteger(s) ? `${s}s` : `${ns / 1e6}ms`;
}

/** "80", "80/udp", "8000-8002" -> ExposedPorts keys. */
export function exposedPortKeys(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of ports) {
    const [range, proto = 'tcp'] = p.split('/') as [string, string?];
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) {
      out.push(`${range}/${proto.toLowerCase()}`);
      continue;
    }
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i++) out.push(`${i}/${proto.toLowerCase()}`);
  }
  return out;
}

export type MetaInstruction = Extract<
  Instruction,
  { kind: 'env' | 'label' | 'cmd' | 'entrypoint' | 'expose' | 'volume' | 'user' | 'stopsignal' | 'healthcheck' | 'shell' | 'onbuild' | 'maintainer' | 'arg' }
>;

export function isMeta(ins: Instruction): ins is MetaInstruction {
  return ['env', 'label', 'cmd', 'entrypoint', 'expose', 'volume', 'user', 'stopsignal', 'healthcheck', 'shell', 'onbuild', 'maintainer', 'arg'].includes(
    ins.kind,
  );
}

export interface MetaResult {
  state: MetaState;
  comment: string; // the "#(nop)" history text, without the shell
  notes: string[]; // builder output such as "Note: overriding previous HEALTHCHECK"
}

/**
 * Applies an expanded metadata instruction. `env` is the stage's committed environment after
 * the step (ENV values already set in the scope by the caller).
 */
export function applyMeta(prev: MetaState, ins: MetaInstruction, env: string[]): MetaResult {
  const c: ImageRuntimeConfig = { ...prev.config };
  const st: MetaState = { ...prev, config: c };
  const notes: string[] = [];
  let comment: string;
  switch (ins.kind) {
    case 'env':
      c.Env = env;
      comment = 'ENV ' + ins.env.map((e) => `${e.key}=${e.value}`).join(' ');
      break;
    case 'label':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const l of ins.labels) c.Labels[l.key] = l.value;
      comment = 'LABEL ' + ins.labels.map((l) => `${l.key}=${l.value}`).join(' ');
      break;
    case 'cmd': {
      const cmd = commandOf(ins, c);
      c.Cmd = cmd;
      st.cmdSet = true;
      comment = `CMD ${goQuoteSlice(cmd)}`;
      break;
    }
    case 'entrypoint': {
      const ep = commandOf(ins, c);
      c.Entrypoint = ep.length ? ep : null;
      if (!prev.cmdSet) c.Cmd = null;
      comment = `ENTRYPOINT ${goQuoteSlice(ep)}`;
      break;
    }
    case 'expose': {
      const keys = exposedPortKeys(ins.ports);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const k of keys) c.ExposedPorts[k] = {};
      comment = `EXPOSE ${keys.join(' ')}`;
      break;
    }
    case 'volume':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.volumes) c.Volumes[v] = {};
      comment = `VOLUME ${goSlice(ins.volumes)}`;
      break;
    case 'user':
      c.User = ins.user;
      comment = `USER ${ins.user}`;
      break;
    case 'stopsignal':
      c.StopSignal = ins.signal;
      comment = `STOPSIGNAL ${ins.signal}`;
      break;
    case 'healthcheck': {
      const old = c.Healthcheck?.Test;
      if (old?.length && old[0] !== 'NONE') notes.push(`Note: overriding previous HEALTHCHECK: ${goSlice(old)}\n`);
      const h = ins.health;
      c.Healthcheck = h.test[0] === 'NONE' ? { Test: ['NONE'] } : healthConfigOf(h);
      comment = `HEALTHCHECK &{${goQuoteSlice(h.test)} "${goDuration(h.interval)}" "${goDuration(h.timeout)}" "${goDuration(h.startPeriod)}" "${goDuration(h.startInterval)}" '\\x${h.retries.toString(16).padStart(2, '0')}'}`;
      break;
    }
    case 'shell':
      c.Shell = [...ins.shell];
      comment = `SHELL ${goSlice(ins.shell)}`;
      break;
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      comment = `ONBUILD ${ins.expression}`;
      break;
    case 'maintainer':
      st.maintainer = ins.maintainer;
      comment = `MAINTAINER ${ins.maintainer}`;
      break;
    case 'arg':
      comment = 'ARG ' + ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ');
      break;
  }
  return { state: st, comment, notes };
}
