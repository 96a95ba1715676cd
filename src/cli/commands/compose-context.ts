// What every `berth compose` subcommand shares: the project flags, loading the model, the
// project name (from -p, COMPOSE_PROJECT_NAME or the model), progress output on stderr (redrawn
// on a terminal, plain lines otherwise) and the narrow API the compose engine takes.
import type { ComposeApi } from '../../compose/api.js';
import { loadProject } from '../../compose/load/index.js';
import type { Project } from '../../compose/model.js';
import { plainProgress, ttyProgress, type ProgressSink } from '../../compose/progress.js';
import type { CliContext } from '../context.js';

export interface ComposeGlobals {
  file: string[];
  projectName?: string;
  profile: string[];
  envFile: string[];
  projectDirectory?: string;
  ansi?: string;
  progress?: string;
}

export class ComposeCli {
  private model?: Project;
  private readonly sinks: ProgressSink[] = [];
  constructor(
    readonly ctx: CliContext,
    readonly globals: ComposeGlobals,
  ) {}

  get api(): ComposeApi {
    return this.ctx.docker;
  }

  /** The model of the compose files (found up the folder tree when -f is not given). */
  async project(services: string[] = [], o: { skipFileChecks?: boolean } = {}): Promise<Project> {
    if (!this.model) {
      const g = this.globals;
      this.model = await loadProject({
        files: g.file.length ? g.file : undefined,
        projectName: g.projectName,
        projectDirectory: g.projectDirectory,
        profiles: g.profile.length ? g.profile : undefined,
        envFiles: g.envFile.length ? g.envFile : undefined,
        services,
        env: this.ctx.env,
        cwd: process.cwd(),
        skipFileChecks: o.skipFileChecks,
      });
    }
    for (const s of services) if (!this.model.services[s] && !this.model.disabledServices[s]) throw new Error(`no such service: ${s}`);
    return this.model;
  }

  /**
   * The model if there is a compose file, else undefined (down/ps/logs work by name from labels).
   * A deleted Dockerfile or secret file must not block taking a project down: no file checks.
   */
  async projectIfAny(): Promise<Project | undefined> {
    try {
      return await this.project([], { skipFileChecks: true });
    } catch (e) {
      if (this.globals.projectName && /no configuration file provided|not found/.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  /** -p wins, then COMPOSE_PROJECT_NAME, then the model's name. */
  async projectName(): Promise<string> {
    const explicit = this.globals.projectName ?? this.ctx.env.COMPOSE_PROJECT_NAME;
    if (explicit) return explicit;
    return (await this.project([], { skipFileChecks: true })).name;
  }

  get colors(): boolean {
    const a = this.globals.ansi ?? 'auto';
    return a === 'always' || (a === 'auto' && !!(this.ctx.io.stdout as { isTTY?: boolean }).isTTY && !this.ctx.env.NO_COLOR);
  }

  /** A new progress block (each phase of a command gets its own: "Running", then "Stopping"). */
  progress(verb = 'Running'): ProgressSink {
    const err = this.ctx.io.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    const mode = this.globals.progress ?? 'auto';
    const write = (s: string) => this.ctx.err(s);
    let sink: ProgressSink;
    if (mode === 'quiet') sink = { event: () => {}, text: () => {}, close: () => {} };
    else if (mode === 'tty' || (mode === 'auto' && err.isTTY && this.globals.ansi !== 'never')) sink = ttyProgress(write, verb, err.columns ?? 80);
    else sink = plainProgress(write);
    this.sinks.push(sink);
    return sink;
  }

  close(): void {
    for (const s of this.sinks) s.close();
  }
}

/** `web=3` pairs of --scale. */
export function parseScale(list: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of list) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new Error(`invalid --scale option ${JSON.stringify(s)}: expected SERVICE=NUM`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** A container name without the "<project>-" prefix, as compose shows it in logs ("web-1"). */
export function shortName(project: string, name: string): string {
  return name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name;
}
