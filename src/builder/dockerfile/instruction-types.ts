// Typed Dockerfile instructions: a discriminated union on `kind`. Values are as written (no
// variables expanded); see expand.ts for the builder's substitution step.
import type { RunMount } from './run-mount.js';

export interface InstructionBase {
  /** Upper-case instruction word, e.g. "COPY". */
  name: string;
  /** The logical source line (continuations joined). */
  original: string;
  file: string;
  startLine: number;
  endLine: number;
}

export interface KeyValue {
  key: string;
  value: string;
  /** Legacy `ENV k v` / `LABEL k v` form (no `=`). */
  noDelim: boolean;
}

export interface InlineFile {
  name: string; // heredoc delimiter
  data: string; // body (tabs already chomped for `<<-` in COPY/ADD)
  chomp: boolean;
  expand: boolean;
  fileDescriptor: number;
}

/** Command line of RUN/CMD/ENTRYPOINT: exec form (`shell: false`) or shell form. */
export interface CommandLine {
  cmd: string[]; // shell form: one element, the whole text
  prependShell: boolean; // true for shell form: run as [...SHELL, cmd[0]]
  files: InlineFile[]; // heredocs
}

export interface FromInstruction extends InstructionBase {
  kind: 'from';
  image: string;
  stageName?: string;
  platform?: string;
}
export interface RunInstruction extends InstructionBase, CommandLine {
  kind: 'run';
  mountSpecs: string[]; // raw --mount values (re-parsed after expansion)
  mounts: RunMount[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
}
export interface CmdInstruction extends InstructionBase, CommandLine {
  kind: 'cmd';
}
export interface EntrypointInstruction extends InstructionBase, CommandLine {
  kind: 'entrypoint';
}
export interface LabelInstruction extends InstructionBase {
  kind: 'label';
  labels: KeyValue[];
}
export interface MaintainerInstruction extends InstructionBase {
  kind: 'maintainer';
  maintainer: string;
}
export interface ExposeInstruction extends InstructionBase {
  kind: 'expose';
  ports: string[];
}
export interface EnvInstruction extends InstructionBase {
  kind: 'env';
  env: KeyValue[];
}

export interface SourcesAndDest {
  sources: string[]; // paths, globs or URLs
  inline: InlineFile[]; // `COPY <<EOF /dest` contents
  dest: string;
}
export interface AddInstruction extends InstructionBase, SourcesAndDest {
  kind: 'add';
  chown?: string;
  chmod?: string;
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
  link: boolean;
  exclude: string[];
}
export interface CopyInstruction extends InstructionBase, SourcesAndDest {
  kind: 'copy';
  from?: string; // stage name, stage index or image reference
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
}
export interface VolumeInstruction extends InstructionBase {
  kind: 'volume';
  volumes: string[];
}
export interface UserInstruction extends InstructionBase {
  kind: 'user';
  user: string;
}
export interface WorkdirInstruction extends InstructionBase {
  kind: 'workdir';
  path: string;
}
export interface ArgInstruction extends InstructionBase {
  kind: 'arg';
  args: Array<{ key: string; value?: string }>;
}
export interface OnbuildInstruction extends InstructionBase {
  kind: 'onbuild';
  expression: string; // the trigger as text, stored in the image config
  trigger?: Instruction; // the trigger parsed, when it parses
}
export interface StopSignalInstruction extends InstructionBase {
  kind: 'stopsignal';
  signal: string;
}

/** Durations in nanoseconds (Docker's HealthConfig units); 0 = inherit the default. */
export interface HealthConfig {
  test: string[]; // ["NONE"] | ["CMD", ...args] | ["CMD-SHELL", cmd]
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface HealthcheckInstruction extends InstructionBase {
  kind: 'healthcheck';
  health: HealthConfig;
}
export interface ShellInstruction extends InstructionBase {
  kind: 'shell';
  shell: string[];
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | AddInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

export type InstructionKind = Instruction['kind'];
