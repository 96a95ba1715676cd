// Steps that shape the container's first process: arguments, user, environment, working
// directory, capabilities and resource limits.
import { invalidArgument } from '../../lib/errors.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from './capabilities.js';
import { DEFAULT_PATH_ENV, DEFAULT_RLIMITS } from './defaults.js';
import { buildRlimits } from './rlimits.js';
import type { SpecStep } from './step.js';
import { resolveUser } from './user.js';

/** Docker's ReplaceOrAppendEnvValues: later values win by key; a bare `KEY` removes KEY. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  for (const e of overrides) {
    const k = keyOf(e);
    const i = out.findIndex((x) => keyOf(x) === k);
    if (!e.includes('=')) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

export const baseStep: SpecStep = {
  name: 'base',
  apply(spec) {
    spec.ociVersion = '1.0.2';
  },
};

export const processStep: SpecStep = {
  name: 'process',
  apply(spec, input) {
    if (!input.args.length) throw invalidArgument('no command specified');
    spec.process.args = [...input.args];
    spec.process.terminal = input.tty;
    spec.process.noNewPrivileges = !!input.noNewPrivileges;
    if (input.oomScoreAdj !== undefined) {
      if (input.oomScoreAdj < -1000 || input.oomScoreAdj > 1000)
        throw invalidArgument(`Invalid value ${input.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
      spec.process.oomScoreAdj = input.oomScoreAdj;
    }
  },
};

// Before 'env' and 'capabilities': HOME comes from the passwd entry, and a non-root user gets
// no effective capabilities.
export const userStep: SpecStep = {
  name: 'user',
  async apply(spec, input, ctx) {
    const u = await resolveUser(input.rootfsPath, input.user, input.groupAdd);
    ctx.user = u;
    spec.process.user = { uid: u.uid, gid: u.gid };
    if (u.additionalGids.length) spec.process.user.additionalGids = [...u.additionalGids];
  },
};

export const envStep: SpecStep = {
  name: 'env',
  apply(spec, input, ctx) {
    const base = [DEFAULT_PATH_ENV, `HOSTNAME=${input.hostname}`];
    if (input.tty) base.push('TERM=xterm');
    const env = mergeEnv(base, input.env);
    if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${ctx.user?.home || '/'}`);
    spec.process.env = env;
  },
};

export const cwdStep: SpecStep = {
  name: 'cwd',
  apply(spec, input) {
    const cwd = input.cwd || '/';
    if (!cwd.startsWith('/')) throw invalidArgument(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
    spec.process.cwd = cwd;
  },
};

export const capabilitiesStep: SpecStep = {
  name: 'capabilities',
  apply(spec, input, ctx) {
    const available = ctx.host.capabilities;
    let caps = tweakCapabilities({ adds: input.capAdd, drops: input.capDrop, privileged: input.privileged, available, defaults: DEFAULT_CAPABILITIES });
    const missing = caps.filter((c) => !available.includes(c));
    if (missing.length) {
      // The runtime's capset would fail with EPERM: run without them and say so.
      ctx.warnings.push(`capabilities not available on this host were dropped: ${missing.join(', ')}`);
      caps = caps.filter((c) => available.includes(c));
    }
    ctx.capabilities = caps;
    // Like Docker, a non-root process keeps the bounding set but starts with nothing effective.
    const root = (ctx.user?.uid ?? 0) === 0;
    spec.process.capabilities = {
      bounding: [...caps],
      effective: root ? [...caps] : [],
      permitted: root ? [...caps] : [],
      inheritable: [],
      ambient: [],
    };
  },
};

export const rlimitsStep: SpecStep = {
  name: 'rlimits',
  apply(spec, input, ctx) {
    spec.process.rlimits = buildRlimits(DEFAULT_RLIMITS, input.ulimits, ctx.host.rlimits, (m) => ctx.warnings.push(m));
  },
};
