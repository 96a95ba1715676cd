// The docker CLI checks image references itself before asking the daemon (run, create, pull,
// tag), with distribution/reference's grammar and error texts. This is that check only; the
// daemon owns the real reference type.

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const host = `(?:${domainName}|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const name = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** distribution/reference.Parse: only the errors. */
function parse(s: string): void {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw new Error('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw new Error('repository name must be lowercase');
    throw new Error('invalid reference format');
  }
  if (m[1]!.length > 255) throw new Error('repository name must not be more than 255 characters');
}

/** splitDockerDomain: "busybox" -> ["docker.io", "library/busybox"]. */
function splitDomain(s: string): [string, string] {
  const i = s.indexOf('/');
  let domain: string;
  let rest: string;
  const first = i < 0 ? '' : s.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) [domain, rest] = ['docker.io', s];
  else [domain, rest] = [first, s.slice(i + 1)];
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  return [domain, rest];
}

/** reference.ParseNormalizedNamed: throws with docker's message. */
export function checkNormalizedNamed(s: string): void {
  if (IDENTIFIER.test(s)) throw new Error(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, rest] = splitDomain(s);
  const colon = rest.indexOf(':');
  const remote = colon < 0 ? rest : rest.slice(0, colon);
  if (remote.toLowerCase() !== remote) throw new Error(`invalid reference format: repository name (${remote}) must be lowercase`);
  parse(`${domain}/${rest}`);
}

/** reference.ParseAnyReference: a bare 64-hex id or a digest is fine, else a normalized name. */
export function checkAnyReference(s: string): void {
  if (IDENTIFIER.test(s)) return;
  if (/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s) && /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/.test(s)) return;
  checkNormalizedNamed(s);
}
