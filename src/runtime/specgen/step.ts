// The shape of one spec-builder step. Steps run in order over one spec object; later steps may
// rely on what earlier ones recorded in the context (the resolved user, the final capabilities).
import type { SpecInput } from './spec-input.js';
import type { OciSpec } from './oci-spec.js';
import type { HostFacts } from './host-facts.js';
import type { ResolvedUser } from './user.js';

export interface SpecContext {
  host: HostFacts;
  /** Set by the 'user' step. */
  user?: ResolvedUser;
  /** Set by the 'capabilities' step: the container's bounding set. */
  capabilities?: string[];
  /** Things dropped or lowered on the way (dockerd returns such warnings from create). */
  warnings: string[];
}

export interface SpecStep {
  readonly name: string;
  apply(spec: OciSpec, input: SpecInput, ctx: SpecContext): void | Promise<void>;
}
