// AST node -> typed instruction, with BuildKit's validation and error texts. Errors carry the
// instruction's location and read `dockerfile parse error on line N: ...`.
import type { AstNode, ParsedDockerfile } from './ast.js';
import { FlagError, parseFlags, type FlagKind } from './bflags.js';
import { parseGoDurationNs } from '../../lib/go-duration.js';
import { chompHeredocContent, parseHeredocWord } from './heredoc.js';
import type { CommandLine, HealthConfig, InlineFile, Instruction, InstructionBase, KeyValue, SourcesAndDest } from './instruction-types.js';
import { DockerfileParseError } from './parse-error.js';
import { MountError, parseMount } from './run-mount.js';
import { withSuggestion } from './suggest.js';

export const instructionNames = [
  'add',
  'arg',
  'cmd',
  'copy',
  'entrypoint',
  'env',
  'expose',
  'from',
  'healthcheck',
  'label',
  'maintainer',
  'onbuild',
  'run',
  'shell',
  'stopsignal',
  'user',
  'volume',
  'workdir',
];

class InstructionError extends Error {}
const err = (m: string) => new InstructionError(m);
const atLeastOne = (c: string) => err(`${c} requires at least one argument`);
const exactlyOne = (c: string) => err(`${c} requires exactly one argument`);
const noDest = (c: string) => err(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);

function flagsOf(node: AstNode, spec: Record<string, FlagKind> = {}) {
  try {
    return parseFlags(node.flags, spec);
  } catch (e) {
    if (e instanceof FlagError) throw err(e.message);
    throw e;
  }
}

function kvps(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) throw atLeastOne(cmd);
  if (args.length % 3 !== 0) throw err(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j] === '') throw err(`${cmd} names can not be blank`);
    out.push({ key: args[j]!, value: args[j + 1]!, noDelim: args[j + 2] === '' });
  }
  return out;
}

function inlineFiles(node: AstNode): InlineFile[] {
  return node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp, expand: h.expand, fileDescriptor: h.fileDescriptor }));
}

function commandLine(node: AstNode, emptyAsNil = false): CommandLine {
  let cmd = node.json ? node.args : node.args.length ? [node.args.join(' ')] : [];
  if (emptyAsNil && cmd.length === 0) cmd = [];
  return { cmd, prependShell: !node.json, files: inlineFiles(node) };
}

function sourcesAndDest(node: AstNode, cmd: string): SourcesAndDest {
  const srcs = node.args.slice(0, -1);
  const dest = node.args[node.args.length - 1]!;
  if (parseHeredocWord(dest)) throw err(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const inline: InlineFile[] = [];
  for (const s of srcs) {
    const h = parseHeredocWord(s);
    if (!h) {
      sources.push(s);
      continue;
    }
    let data = byName.get(h.name)?.content ?? '';
    if (h.chomp) data = chompHeredocContent(data);
    inline.push({ name: h.name, data, chomp: h.chomp, expand: h.expand, fileDescriptor: h.fileDescriptor });
  }
  return { sources, inline, dest };
}

function interval(flag: string, v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  let d: number;
  try {
    d = Number(parseGoDurationNs(v));
  } catch (e) {
    throw err((e as Error).message);
  }
  if (d === 0) return 0;
  if (d < 1e6) throw err(`Interval ${JSON.stringify(flag)} cannot be less than 1ms`);
  return d;
}

function healthcheck(node: AstNode): HealthConfig {
  if (node.args.length === 0) throw atLeastOne('HEALTHCHECK');
  let typ = node.args[0]!.toUpperCase();
  const rest = node.args.slice(1);
  if (typ === 'NONE') {
    if (rest.length) throw err('HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  }
  const f = flagsOf(node, { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' });
  if (typ !== 'CMD') throw err(`Unknown type ${JSON.stringify(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = node.json ? rest : rest.length ? [rest.join(' ')] : [];
  if (cmd.length === 0) throw err('Missing command after HEALTHCHECK CMD');
  if (!node.json) typ = 'CMD-SHELL';
  let retries = 0;
  const r = f.string('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?\d+$/.test(r) || Math.abs(Number(r)) > 2 ** 31 - 1) throw err(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`);
    retries = Number(r);
    if (retries < 0) throw err(`--retries cannot be negative (${retries})`);
  }
  return {
    test: [typ, ...cmd],
    interval: interval('interval', f.string('interval')),
    timeout: interval('timeout', f.string('timeout')),
    startPeriod: interval('start-period', f.string('start-period')),
    startInterval: interval('start-interval', f.string('start-interval')),
    retries,
  };
}

const validStageName = /^[a-z][a-z0-9-_.]*$/;

function typed(node: AstNode, file: string): Instruction {
  const lc = node.cmd.toLowerCase();
  const base: InstructionBase = { name: node.cmd.toUpperCase(), original: node.original, file, startLine: node.startLine, endLine: node.endLine };
  const a = node.args;
  switch (lc) {
    case 'env':
      flagsOf(node);
      return { ...base, kind: 'env', env: kvps(a, 'ENV') };
    case 'label':
      flagsOf(node);
      return { ...base, kind: 'label', labels: kvps(a, 'LABEL') };
    case 'maintainer':
      if (a.length !== 1) throw exactlyOne('MAINTAINER');
      flagsOf(node);
      return { ...base, kind: 'maintainer', maintainer: a[0]! };
    case 'add': {
      if (a.length < 2) throw noDest('ADD');
      const f = flagsOf(node, {
        chown: 'string',
        chmod: 'string',
        link: 'bool',
        'keep-git-dir': 'bool',
        checksum: 'string',
        unpack: 'bool',
        exclude: 'strings',
      });
      return {
        ...base,
        kind: 'add',
        ...sourcesAndDest(node, 'ADD'),
        chown: f.string('chown'),
        chmod: f.string('chmod'),
        checksum: f.string('checksum'),
        keepGitDir: f.bool('keep-git-dir'),
        unpack: f.bool('unpack'),
        link: f.bool('link') ?? false,
        exclude: f.strings('exclude'),
      };
    }
    case 'copy': {
      if (a.length < 2) throw noDest('COPY');
      const f = flagsOf(node, { chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' });
      return {
        ...base,
        kind: 'copy',
        ...sourcesAndDest(node, 'COPY'),
        from: f.string('from'),
        chown: f.string('chown'),
        chmod: f.string('chmod'),
        link: f.bool('link') ?? false,
        parents: f.bool('parents') ?? false,
        exclude: f.strings('exclude'),
      };
    }
    case 'from': {
      let stageName: string | undefined;
      if (a.length === 3 && a[1]!.toLowerCase() === 'as') {
        stageName = a[2]!.toLowerCase();
        if (!validStageName.test(stageName)) {
          throw err(`invalid name for build stage: ${JSON.stringify(a[2])}, name can't start with a number or contain symbols`);
        }
      } else if (a.length !== 1) throw err('FROM requires either one or three arguments');
      const f = flagsOf(node, { platform: 'string' });
      return { ...base, kind: 'from', image: a[0]!, stageName, platform: f.string('platform') };
    }
    case 'onbuild': {
      if (!node.sub) throw atLeastOne('ONBUILD');
      flagsOf(node);
      const trig = node.sub.cmd.toUpperCase();
      if (trig === 'ONBUILD') throw err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trig === 'MAINTAINER' || trig === 'FROM') throw err(`${trig} isn't allowed as an ONBUILD trigger`);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += '\n' + h.content + h.name;
      let trigger: Instruction | undefined;
      try {
        trigger = typed(node.sub, file);
      } catch {
        trigger = undefined; // BuildKit validates triggers only when they run
      }
      return { ...base, kind: 'onbuild', expression, trigger };
    }
    case 'workdir':
      if (a.length !== 1) throw exactlyOne('WORKDIR');
      flagsOf(node);
      return { ...base, kind: 'workdir', path: a[0]! };
    case 'run': {
      const f = flagsOf(node, { mount: 'strings', network: 'string', security: 'string' });
      const mountSpecs = f.strings('mount');
      let mounts;
      try {
        mounts = mountSpecs.map((m) => parseMount(m));
      } catch (e) {
        if (e instanceof MountError) throw err(e.message);
        throw e;
      }
      const network = f.string('network');
      if (network !== undefined && !['default', 'none', 'host'].includes(network)) throw err(`invalid network mode ${JSON.stringify(network)}`);
      const security = f.string('security');
      if (security !== undefined && !['sandbox', 'insecure'].includes(security)) throw err(`security ${JSON.stringify(security)} is not valid`);
      return {
        ...base,
        kind: 'run',
        ...commandLine(node),
        mountSpecs,
        mounts,
        network: network as 'default' | 'none' | 'host' | undefined,
        security: security as 'sandbox' | 'insecure' | undefined,
      };
    }
    case 'cmd':
      flagsOf(node);
      return { ...base, kind: 'cmd', ...commandLine(node) };
    case 'entrypoint':
      flagsOf(node);
      return { ...base, kind: 'entrypoint', ...commandLine(node, true) };
    case 'healthcheck':
      return { ...base, kind: 'healthcheck', health: healthcheck(node) };
    case 'expose':
      if (a.length === 0) throw atLeastOne('EXPOSE');
      flagsOf(node);
      return { ...base, kind: 'expose', ports: [...a].sort() };
    case 'user':
      if (a.length !== 1) throw exactlyOne('USER');
      flagsOf(node);
      return { ...base, kind: 'user', user: a[0]! };
    case 'volume': {
      if (a.length === 0) throw atLeastOne('VOLUME');
      flagsOf(node);
      const volumes = a.map((v) => v.trim());
      if (volumes.some((v) => v === '')) throw err('VOLUME specified can not be an empty string');
      return { ...base, kind: 'volume', volumes };
    }
    case 'stopsignal':
      if (a.length !== 1) throw exactlyOne('STOPSIGNAL');
      return { ...base, kind: 'stopsignal', signal: a[0]! };
    case 'arg': {
      if (a.length === 0) throw atLeastOne('ARG');
      const args = a.map((w) => {
        const i = w.indexOf('=');
        if (i < 0) return { key: w };
        if (i === 0) throw err('ARG names can not be blank');
        return { key: w.slice(0, i), value: w.slice(i + 1) };
      });
      return { ...base, kind: 'arg', args };
    }
    case 'shell': {
      flagsOf(node);
      const cmd = commandLine(node).cmd;
      if (cmd.length === 0) throw atLeastOne('SHELL');
      if (!node.json) throw err('SHELL requires the arguments to be in JSON form');
      return { ...base, kind: 'shell', shell: cmd };
    }
  }
  throw err(withSuggestion(`unknown instruction: ${node.cmd}`, node.cmd, instructionNames, false));
}

/** Converts one AST node; errors are DockerfileParseError with the node's location. */
export function toInstruction(node: AstNode, file = 'Dockerfile'): Instruction {
  try {
    return typed(node, file);
  } catch (e) {
    if (e instanceof InstructionError) throw new DockerfileParseError(e.message, { file, line: node.startLine, endLine: node.endLine }, { cause: e });
    throw e;
  }
}

export function toInstructions(parsed: ParsedDockerfile): Instruction[] {
  return parsed.nodes.map((n) => toInstruction(n, parsed.file));
}
