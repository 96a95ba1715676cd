// --security-opt as the docker CLI sends it: a `seccomp=FILE` is read here and sent as the
// profile's JSON (`seccomp=<compact json>`), since the daemon may be on another machine; the
// built-in names (`builtin`, `unconfined`) go as they are. Every option but no-new-privileges
// needs a value.
import { readFileSync } from 'node:fs';

export function readSecurityOpts(opts: readonly string[], read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  return opts.map((opt) => {
    let sep = opt.indexOf('=');
    if (sep < 0 && !opt.startsWith('no-new-privileges')) sep = opt.indexOf(':');
    const k = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (k !== 'seccomp' || v === 'builtin' || v === 'unconfined') return opt;
    let text: string;
    try {
      text = read(v);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`opening seccomp profile (${v}) failed: open ${v}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    try {
      return `seccomp=${JSON.stringify(JSON.parse(text))}`;
    } catch (e) {
      throw new Error(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
    }
  });
}
