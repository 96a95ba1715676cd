// Build-time variable scoping (BuildKit's dispatch rules), for the graph and for an executor:
// global ARGs before the first FROM feed FROM lines; inside a stage an ARG must be declared to
// be visible, takes the --build-arg value, else its default, else the global value; ENV and ARG
// share one environment in instruction order.
import { envLookup, ShellLex, type EnvLookup } from './shell-lex.js';
import { formatPlatform, hostPlatform as hostPlatformOf, normalizePlatform, type Platform } from '../../lib/platform.js';

/** Proxy args: passed to RUN without declaration and never reported as unused. */
export const proxyArgs = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export { formatPlatform, type Platform };

/** BuildKit's BUILDPLATFORM: the host's platform, normalised (linux/arm64, not linux/arm64/v8). */
export function hostPlatform(): Platform {
  return normalizePlatform(hostPlatformOf());
}

/** BUILDPLATFORM/BUILDOS/.../TARGETPLATFORM/TARGETARCH/...: in global scope automatically. */
export function platformArgs(build: Platform, target: Platform): Record<string, string> {
  return {
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
  };
}

export class GlobalArgs {
  readonly values = new Map<string, string>();
  readonly declared = new Set<string>();
  constructor(
    private readonly buildArgs: Readonly<Record<string, string>>,
    auto: Record<string, string>,
    private readonly lex: ShellLex,
  ) {
    for (const [k, v] of Object.entries(auto)) this.values.set(k, v);
  }
  declare(key: string, def: string | undefined): void {
    this.declared.add(key);
    if (Object.prototype.hasOwnProperty.call(this.buildArgs, key)) this.values.set(key, this.buildArgs[key]!);
    else if (def !== undefined) this.values.set(key, this.lex.processWord(def, this.lookup));
  }
  get lookup(): EnvLookup {
    return envLookup(this.values);
  }
}

/** One stage's environment while its instructions are dispatched in order. */
export class StageScope {
  /** ENV and declared ARG values, in one map (later instructions overwrite). */
  readonly env = new Map<string, string>();
  readonly argNames = new Set<string>();
  private readonly committed = new Map<string, string>();
  constructor(
    private readonly global: GlobalArgs,
    private readonly buildArgs: Readonly<Record<string, string>>,
    imageEnv: readonly string[] = [],
    private readonly lex = new ShellLex(),
  ) {
    for (const e of imageEnv) {
      const i = e.indexOf('=');
      this.setEnv(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
    }
  }
  get lookup(): EnvLookup {
    return envLookup(this.env);
  }
  /** Declares an ARG (key and default as written, not yet expanded); returns its value. */
  declareArg(key: string, def: string | undefined): string | undefined {
    this.argNames.add(key);
    let value: string | undefined;
    if (Object.prototype.hasOwnProperty.call(this.buildArgs, key)) value = this.buildArgs[key];
    else if (def !== undefined) value = this.lex.processWord(def, this.lookup);
    else value = this.global.values.get(key);
    if (value !== undefined) this.env.set(key, value);
    return value;
  }
  setEnv(key: string, value: string): void {
    this.env.set(key, value);
    this.committed.set(key, value);
  }
  /** Env to commit to the image config (ARG-only values are excluded). */
  committedEnv(): string[] {
    return [...this.committed].map(([k, v]) => `${k}=${v}`);
  }
}
