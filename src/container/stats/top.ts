// `docker top`: the host's `ps` output, keeping the rows of the container's processes. As moby:
// find the PID column from the header, keep rows whose pid is in the set (and the thread rows
// "-" that follow a kept row, for `ps -m`), and join the trailing columns into the command.
import { execFile } from 'node:child_process';
import { invalidArgument, internal } from '../../lib/errors.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Rejects `-o x=PID...` style column renames that would hide the PID column (as moby). */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== 'pid') throw invalidArgument(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

// Go's strings.Fields over ASCII whitespace only, so non-ASCII spaces in commands stay intact.
const fieldsAscii = (s: string) => s.split(/[ \t\n\v\f\r]+/).filter((f) => f !== '');

export function parsePsOutput(output: string, pids: Iterable<number>): TopResult {
  const set = new Set(pids);
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw internal("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  const add = (fields: string[]) => {
    // The last title's column (the command) may contain spaces: it takes the rest.
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  };
  let prevKept = false;
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const fields = fieldsAscii(line);
    const f = fields[pidIndex];
    if (f === undefined) continue;
    if (f === '-') {
      if (prevKept) add(fields);
      continue;
    }
    const p = Number(f);
    if (!Number.isInteger(p)) throw internal(`Unexpected pid '${f}': invalid syntax`);
    prevKept = set.has(p);
    if (prevKept) add(fields);
  }
  return { Titles: titles, Processes: processes };
}

function runPs(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** Runs host `ps` (default "-ef") and keeps the rows of `pids`. */
export async function top(pids: number[], psArgs = ''): Promise<TopResult> {
  const argStr = psArgs.trim() === '' ? '-ef' : psArgs;
  validatePsArgs(argStr);
  const args = argStr.split(' ').filter((a) => a !== '');
  let out: string;
  try {
    // -q limits ps to the pids (fast on busy hosts); some options (e.g. f) reject it: retry without.
    out = pids.length > 0 ? await runPs([...args, `-q${pids.join(',')}`]) : await runPs(args);
  } catch {
    try {
      out = await runPs(args);
    } catch (e) {
      // ps refusing the client's own ps_args is the client's error; our default failing is ours.
      const fail = psArgs.trim() === '' ? internal : invalidArgument;
      throw fail(`Error running ps: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }
  return parsePsOutput(out, pids);
}
