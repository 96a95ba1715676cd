// Just enough reference handling for the CLI's messages and pull queries (the daemon owns the
// real parser): "busybox" → familiar "busybox:latest", full "docker.io/library/busybox".

export interface SplitRef { familiar: string; repo: string; tag?: string; digest?: string }

export function splitRef(ref: string): SplitRef {
  let name = ref;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) { digest = name.slice(at + 1); name = name.slice(0, at); }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) { tag = name.slice(colon + 1); name = name.slice(0, colon); }
  if (!tag && !digest) tag = 'latest';
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repo = hasDomain ? name : name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  const familiar = `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { familiar, repo, tag, digest };
}

/** "repo[:tag]" as the API's repo/tag query pair (the tag is absent when not given). */
export function splitRepoTag(ref: string | undefined): { repo?: string; tag?: string } {
  if (!ref) return {};
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref };
}
