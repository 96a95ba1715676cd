// The OCI runtime-spec builder: an ordered list of named steps over one spec object. Pure
// except for reading the rootfs's /etc/passwd and /etc/group (user step), the seccomp profile
// file and, for --device and privileged, the host's device nodes.
import { currentHostFacts, type HostFacts } from './host-facts.js';
import type { OciResources, OciSpec } from './oci-spec.js';
import { convertResources } from './resources.js';
import type { ResourceLimits, SpecInput } from './spec-input.js';
import type { SpecContext, SpecStep } from './step.js';
import { baseStep, capabilitiesStep, cwdStep, envStep, processStep, rlimitsStep, userStep } from './steps-process.js';
import { apparmorStep, defaultMountsStep, devicesStep, maskedPathsStep, namespacesStep, rootStep, seccompStep, userMountsStep } from './steps-linux.js';
import { annotationsStep, hostnameStep, initStep, privilegedStep, resourcesStep, sysctlsStep } from './steps-system.js';

/**
 * The steps in the order they run. The order matters where a step reads what an earlier one
 * decided: user before env (HOME) and capabilities (non-root clears effective); capabilities
 * before seccomp (includes/excludes.caps); default mounts before user mounts (overrides); init
 * after user mounts and args; privileged last among the security steps because it relaxes them.
 */
export const SPEC_STEPS: readonly SpecStep[] = [
  baseStep,
  processStep,
  userStep,
  envStep,
  cwdStep,
  capabilitiesStep,
  rlimitsStep,
  namespacesStep,
  rootStep,
  defaultMountsStep,
  userMountsStep,
  devicesStep,
  maskedPathsStep,
  seccompStep,
  apparmorStep,
  resourcesStep,
  hostnameStep,
  sysctlsStep,
  initStep,
  privilegedStep,
  annotationsStep,
];

export interface BuildSpecOptions {
  /** Override facts about the host (defaults: read from this process and /proc). */
  host?: Partial<HostFacts>;
  /** Receives warnings (dropped capabilities, lowered ulimits, unsupported cgroup knobs). */
  warnings?: string[];
  /** Replace the step list (tests, or callers that add a step). */
  steps?: readonly SpecStep[];
}

function emptySpec(): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [],
      env: [],
      cwd: '/',
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      rlimits: [],
      noNewPrivileges: false,
    },
    root: { path: '' },
    mounts: [],
    linux: { namespaces: [], devices: [], resources: { devices: [] }, maskedPaths: [], readonlyPaths: [] },
  };
}

export async function buildSpec(input: SpecInput, opts: BuildSpecOptions = {}): Promise<OciSpec> {
  const ctx: SpecContext = { host: { ...currentHostFacts(), ...opts.host }, warnings: opts.warnings ?? [] };
  const spec = emptySpec();
  for (const step of opts.steps ?? SPEC_STEPS) await step.apply(spec, input, ctx);
  return spec;
}

const RLIM_INFINITY = '18446744073709551615';

/**
 * Serialises a spec for config.json. Use this rather than JSON.stringify: an unlimited rlimit is
 * Infinity in the object and must be written as 2^64-1, which a JS number cannot hold exactly.
 */
export function specToJson(spec: OciSpec): string {
  const token = '"__berth_rlim_infinity__"';
  const text = JSON.stringify(spec, (_k, v: unknown) => (v === Infinity ? JSON.parse(token) : v), 2);
  return text.split(token).join(RLIM_INFINITY);
}

/**
 * linux.resources without the device rules, for `crun update` of a running container. Same
 * conversion and validation as the resources step.
 */
export function buildResources(r: ResourceLimits | undefined, opts: { host?: Partial<HostFacts>; warnings?: string[] } = {}): Omit<OciResources, 'devices'> {
  const host = { ...currentHostFacts(), ...opts.host };
  const warnings = opts.warnings ?? [];
  return convertResources(r, host, (m) => warnings.push(m));
}
