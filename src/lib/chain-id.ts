// Docker's chainId: the bottom layer's chainId is its diffId; above it,
// chainId = sha256(parentChainId + " " + diffId) over the two digest strings.
import { type Digest, sha256 } from './digest.js';

export function chainIdOf(parent: Digest | null, diffId: Digest): Digest {
  return parent === null ? diffId : sha256(`${parent} ${diffId}`);
}

/** chainIds of a stack of layers given bottom-first by diffId. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(chainIdOf(out.at(-1) ?? null, d));
  return out;
}
