// The torture driver's operations: each sets up its input, runs the long operation that gets
// killed (through the berth CLI, as a user would), and retries it after the restart, checking
// the result is whole. `target` says which process the kill hits: berthd, the registry server
// during an upload, or `berth registry gc` (with the server beside it).
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon, RunResult } from '../support/daemon.js';
import { ROOT, run } from '../support/daemon.js';

// The registry's own entry (what `berth registry gc` execs): killing it is killing the collector.
const REGISTRY = join(ROOT, 'bin/berth-registry');

export type KillTarget = 'berthd' | 'registry' | 'gc';

/** One operation under test: `prepare` sets up its input, `op` is what gets killed, `retry` redoes it. */
export interface Operation {
  name: string;
  target: KillTarget;
  prepare(round: number): Promise<void>;
  op(round: number): Promise<RunResult>;
  /** Redoes the operation after the restart and checks its result; throws when it fails. */
  retry(round: number): Promise<void>;
  /** Inputs made once before the rounds: the built image, the committed image, the image in the registry to pull. */
  needs?: ('built' | 'committed' | 'pushed')[];
  /** Containers (by name) the operation itself stops or removes: the survivor check leaves them out. */
  disturbs?: (name: string, round: number) => boolean;
}

/** What the operations share: the daemon, a work folder, and the registry the driver runs. */
export interface OpContext {
  d: TestDaemon;
  work: string;
  /** host:port of the Berth registry on 127.0.0.1 (fixed across its restarts). */
  registry: string;
  registryRoot: string;
  /** The gc child the op spawned, so the driver can kill it. */
  gc?: { pid?: number; done: Promise<RunResult> };
}

export const PAYLOAD_FILES = 4;
export const PAYLOAD_SIZE = 1 << 20; // 4 x 1 MiB in the build's COPY
const BIG = 4 << 20; // bytes of /big in committed images

export function ok(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

const COMPOSE = `services:
  web:
    image: busybox
    command: ["sleep", "600"]
    ports: ["80"]
    volumes: ["data:/data"]
  worker:
    image: busybox
    command: ["sleep", "600"]
volumes:
  data: {}
`;

/** Writes the inputs: a build context (a RUN step and a COPY of 4 MiB), a tar to import, a compose file. */
export async function writeInputs(work: string, rnd: () => number): Promise<void> {
  const ctx = join(work, 'build-ctx');
  await mkdir(join(ctx, 'payload'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo ran > /ran && sleep 0.2\nCOPY payload /payload\n');
  for (let i = 0; i < PAYLOAD_FILES; i++) {
    const buf = Buffer.alloc(PAYLOAD_SIZE);
    for (let o = 0; o < buf.length; o += 4) buf.writeUInt32LE((rnd() * 2 ** 32) >>> 0, o);
    await writeFile(join(ctx, 'payload', `f${i}`), buf);
  }
  ok(await run('tar', ['-C', ctx, '-cf', join(work, 'import.tar'), 'payload']), 'tar for import');
  await mkdir(join(work, 'compose'), { recursive: true });
  await writeFile(join(work, 'compose', 'compose.yaml'), COMPOSE);
}

/** The sizes an image's /big has: commit, load, pull and push all check the whole 4 MiB came through. */
async function expectBig(d: TestDaemon, ref: string, what: string): Promise<void> {
  const size = ok(await d.berth(['run', '--rm', ref, 'sh', '-c', 'wc -c < /big'], { timeoutMs: 120_000 }), `run the ${what} image`);
  if (size !== String(BIG)) throw new Error(`the ${what} image is not whole: /big has ${size} bytes`);
}

/** A new image with 4 MiB of fresh random bytes, so a push has a layer the registry lacks. */
async function freshImage(d: TestDaemon, ref: string): Promise<void> {
  const b = (args: string[]) => d.berth(args, { timeoutMs: 120_000 });
  const src = `tsrc${Math.random().toString(36).slice(2, 8)}`;
  ok(await b(['run', '--name', src, 'busybox', 'sh', '-c', `dd if=/dev/urandom of=/big bs=1M count=4 2>/dev/null`]), 'fresh image source');
  ok(await b(['commit', src, ref]), 'commit a fresh image');
  ok(await b(['rm', src]), 'rm the source');
}

export function operations(c: OpContext): Operation[] {
  const { d, work } = c;
  const b = (args: string[]) => d.berth(args, { timeoutMs: 120_000 });
  const ctx = join(work, 'build-ctx');
  const saved = join(work, 'commit.tar');
  const reg = c.registry;
  const exists = async (kind: 'image' | 'container' | 'volume' | 'network', ref: string) => (await b([kind, 'inspect', ref])).code === 0;
  const compose = (...args: string[]) => b(['compose', '-p', 'tcomp', '-f', join(work, 'compose', 'compose.yaml'), ...args]);
  const composeRunning = async () =>
    ok(await b(['ps', '-q', '--filter', 'label=com.docker.compose.project=tcomp', '--filter', 'status=running']), 'ps')
      .split('\n')
      .filter(Boolean).length;
  return [
    {
      // A RUN step, then a COPY of 4 MiB: the kill lands in the context upload, the RUN, or a layer commit.
      name: 'build',
      target: 'berthd',
      prepare: async () => {
        await b(['rmi', '-f', 'torture-build']);
      },
      op: () => b(['build', '--no-cache', '-q', '-t', 'torture-build', ctx]),
      retry: async () => {
        ok(await b(['build', '--no-cache', '-q', '-t', 'torture-build', ctx]), 'build');
        const du = ok(await b(['run', '--rm', 'torture-build', 'sh', '-c', 'cat /ran; ls /payload | wc -l']), 'run the built image');
        if (du.replace(/\s+/g, ' ') !== `ran ${PAYLOAD_FILES}`) throw new Error(`the built image is not whole: ${du}`);
      },
    },
    {
      // A container that wrote 4 MiB; commit turns its upper directory into a layer.
      name: 'commit',
      target: 'berthd',
      prepare: async (round) => {
        await b(['rmi', '-f', 'torture-commit']);
        if (!(await exists('container', 'tcommit')))
          ok(await b(['run', '--name', 'tcommit', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=4 2>/dev/null']), `commit setup ${round}`);
      },
      op: () => b(['commit', 'tcommit', 'torture-commit']),
      retry: async () => {
        ok(await b(['commit', 'tcommit', 'torture-commit']), 'commit');
        await expectBig(d, 'torture-commit', 'committed');
      },
    },
    {
      // save -o: what the killed command leaves at the output path is the whole archive or nothing.
      name: 'save',
      target: 'berthd',
      needs: ['committed'],
      prepare: async () => {},
      op: (round) => b(['save', '-o', join(work, `save${round}.tar`), 'torture-commit']),
      retry: async (round) => {
        const out = join(work, `save${round}.tar`);
        const left = await stat(out).catch(() => undefined);
        if (left) {
          const t = await run('tar', ['-tf', out]);
          if (t.code !== 0 || !t.stdout.includes('manifest.json'))
            throw new Error(`the killed save left a partial archive at its -o path (${left.size} bytes)`);
        }
        ok(await b(['save', '-o', out, 'torture-commit']), 'save');
        if (!ok(await run('tar', ['-tf', out]), 'tar -tf').includes('manifest.json')) throw new Error('the saved archive has no manifest.json');
      },
    },
    {
      // Load of the committed image saved once: its 4 MiB layer is unpacked anew each time.
      name: 'load',
      target: 'berthd',
      needs: ['committed'],
      prepare: async () => {
        if (!(await exists('image', 'torture-commit'))) throw new Error('load needs torture-commit (the commit operation runs first)');
        if (!(await readFile(saved).catch(() => undefined))) ok(await b(['save', '-o', saved, 'torture-commit']), 'save');
        ok(await b(['rmi', 'torture-commit']), 'rmi before load');
      },
      op: () => b(['load', '-q', '-i', saved]),
      retry: async () => {
        ok(await b(['load', '-q', '-i', saved]), 'load');
        await expectBig(d, 'torture-commit', 'loaded');
      },
    },
    {
      name: 'import',
      target: 'berthd',
      prepare: async () => {
        await b(['rmi', '-f', 'torture-import']);
      },
      op: () => b(['import', join(work, 'import.tar'), 'torture-import']),
      retry: async () => {
        ok(await b(['import', join(work, 'import.tar'), 'torture-import']), 'import');
        // The imported image has no shell: compare its files from a container's rootfs through cp.
        const id = ok(await b(['create', 'torture-import', 'x']), 'create from the imported image');
        const out = join(work, 'import-out');
        ok(await b(['cp', `${id}:/payload`, out]), 'cp out of the imported image');
        ok(await b(['rm', id]), 'rm');
        for (let i = 0; i < PAYLOAD_FILES; i++) {
          const [got, want] = await Promise.all([readFile(join(out, `f${i}`)), readFile(join(work, 'build-ctx', 'payload', `f${i}`))]);
          if (!got.equals(want)) throw new Error(`the imported image's payload/f${i} differs from the tar's`);
        }
        await run('rm', ['-rf', out]);
      },
    },
    {
      // Pull of a 4 MiB image that is nowhere local: the kill lands in the download, unpack or tag.
      name: 'pull',
      target: 'berthd',
      needs: ['pushed'],
      prepare: async () => {
        await b(['rmi', '-f', `${reg}/torture/pull`]);
      },
      op: () => b(['pull', '-q', `${reg}/torture/pull`]),
      retry: async () => {
        ok(await b(['pull', '-q', `${reg}/torture/pull`]), 'pull');
        await expectBig(d, `${reg}/torture/pull`, 'pulled');
      },
    },
    {
      // Push of an image with a fresh 4 MiB layer: the kill lands in berthd's upload or the manifest.
      name: 'push',
      target: 'berthd',
      prepare: async (round) => freshImage(d, `${reg}/torture/push:${round}`),
      op: (round) => b(['push', `${reg}/torture/push:${round}`]),
      // The pushed image's whole is the registry store check's business (the driver runs it after the retry).
      retry: async (round) => {
        const ref = `${reg}/torture/push:${round}`;
        ok(await b(['push', ref]), 'push');
        const m = await fetch(`http://${reg}/v2/torture/push/manifests/${round}`, {
          headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
        });
        await m.arrayBuffer();
        if (m.status !== 200) throw new Error(`the pushed tag ${round} is not in the registry: ${m.status}`);
        ok(await b(['rmi', ref]), 'rmi');
      },
    },
    {
      name: 'network create+connect',
      target: 'berthd',
      prepare: async () => {
        if (!(await exists('container', 'tnetc'))) ok(await b(['run', '-d', '--name', 'tnetc', 'busybox', 'sleep', '3600']), 'network setup');
      },
      op: async (round) => {
        const r = await b(['network', 'create', `tnet${round}`]);
        return r.code === 0 ? b(['network', 'connect', `tnet${round}`, 'tnetc']) : r;
      },
      retry: async (round) => {
        const net = `tnet${round}`;
        if (!(await exists('network', net))) ok(await b(['network', 'create', net]), 'network create');
        const nets = ok(await b(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'tnetc']), 'inspect');
        if (!(net in JSON.parse(nets))) ok(await b(['network', 'connect', net, 'tnetc']), 'network connect');
        const ip = ok(await b(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, 'tnetc']), 'inspect ip');
        const addrs = ok(await b(['exec', 'tnetc', 'ip', '-4', '-o', 'addr']), 'exec ip addr');
        if (!ip || !addrs.includes(`inet ${ip}/`)) throw new Error(`tnetc has no ${ip || 'address'} of ${net} inside: ${addrs}`);
        ok(await b(['network', 'disconnect', net, 'tnetc']), 'network disconnect');
        ok(await b(['network', 'rm', net]), 'network rm');
      },
    },
    {
      name: 'compose up',
      target: 'berthd',
      prepare: async () => {
        ok(await compose('down', '-v', '-t', '1'), 'compose down before up');
      },
      op: () => compose('up', '-d'),
      retry: async () => {
        ok(await compose('up', '-d'), 'compose up');
        const n = await composeRunning();
        if (n !== 2) throw new Error(`compose up left ${n} of 2 services running`);
      },
    },
    {
      name: 'compose down',
      target: 'berthd',
      prepare: async () => {
        ok(await compose('up', '-d'), 'compose up before down');
      },
      op: () => compose('down', '-v', '-t', '1'),
      retry: async () => {
        ok(await compose('down', '-v', '-t', '1'), 'compose down');
        const left = ok(await b(['ps', '-aq', '--filter', 'label=com.docker.compose.project=tcomp']), 'ps');
        if (left) throw new Error(`compose down left containers: ${left}`);
        if (await exists('network', 'tcomp_default')) throw new Error('compose down left tcomp_default');
        if (await exists('volume', 'tcomp_data')) throw new Error('compose down -v left tcomp_data');
      },
      disturbs: (name) => name.startsWith('tcomp'),
    },
    {
      name: 'create+start',
      target: 'berthd',
      prepare: async () => {},
      op: (round) => b(['run', '-d', '--name', `trun${round}`, 'busybox', 'sleep', '600']),
      retry: async (round) => {
        const id = ok(await b(['run', '-d', '--name', `trun${round}r`, 'busybox', 'sleep', '600']), 'run -d');
        const state = ok(await b(['inspect', '-f', '{{.State.Status}}', id]), 'inspect');
        if (state !== 'running') throw new Error(`the retried container is ${state}`);
      },
    },
    {
      name: 'rm -f',
      target: 'berthd',
      prepare: async (round) => {
        ok(await b(['run', '-d', '--name', `trm${round}`, 'busybox', 'sleep', '600']), 'rm setup');
      },
      op: (round) => b(['rm', '-f', `trm${round}`]),
      retry: async (round) => {
        if (await exists('container', `trm${round}`)) ok(await b(['rm', '-f', `trm${round}`]), 'rm -f');
        if (await exists('container', `trm${round}`)) throw new Error('the container is still there after rm -f');
      },
      disturbs: (name, round) => name === `trm${round}`,
    },
    {
      // A new named volume mounted over the image's /payload: its 4 MiB are copied up on first use.
      name: 'volume copy-up',
      target: 'berthd',
      needs: ['built'],
      prepare: async () => {
        if (!(await exists('image', 'torture-build'))) ok(await b(['build', '-q', '-t', 'torture-build', ctx]), 'build for volume copy-up');
      },
      op: async (round) => {
        const r = await b(['volume', 'create', `tvol${round}`]);
        if (r.code !== 0) return r;
        return b(['run', '--rm', '-v', `tvol${round}:/payload`, 'torture-build', 'true']);
      },
      retry: async (round) => {
        ok(await b(['volume', 'create', `tvol${round}`]), 'volume create');
        const n = ok(await b(['run', '--rm', '-v', `tvol${round}:/payload`, 'torture-build', 'sh', '-c', 'cat /payload/* | wc -c']), 'run with the volume');
        if (n !== String(PAYLOAD_FILES * PAYLOAD_SIZE)) throw new Error(`the volume holds ${n} bytes of the image's ${PAYLOAD_FILES * PAYLOAD_SIZE}`);
        ok(await b(['volume', 'rm', `tvol${round}`]), 'volume rm');
      },
    },
    {
      // The registry server is the one killed, during berthd's blob upload; the retried push must
      // succeed against the restarted server and the image pull back whole.
      name: 'registry upload',
      target: 'registry',
      prepare: async (round) => freshImage(d, `${reg}/torture/upload:${round}`),
      op: (round) => b(['push', `${reg}/torture/upload:${round}`]),
      retry: async (round) => {
        const ref = `${reg}/torture/upload:${round}`;
        ok(await b(['push', ref]), 'push');
        ok(await b(['rmi', ref]), 'rmi before the pull back');
        ok(await b(['pull', '-q', ref]), 'pull back');
        await expectBig(d, ref, 'pushed');
        ok(await b(['rmi', ref]), 'rmi');
      },
    },
    {
      // `berth registry gc` sweeping an untagged image's blobs, killed together with the server.
      name: 'registry gc',
      target: 'gc',
      needs: ['pushed'],
      prepare: async (round) => {
        const ref = `${reg}/torture/gc:${round}`;
        await freshImage(d, ref);
        ok(await b(['push', ref]), 'push garbage');
        const digest = ok(await b(['image', 'inspect', '-f', '{{index .RepoDigests 0}}', ref]), 'repo digest').split('@')[1]!;
        const del = await fetch(`http://${reg}/v2/torture/gc/manifests/${digest}`, { method: 'DELETE' });
        await del.arrayBuffer();
        if (del.status !== 202) throw new Error(`manifest delete: ${del.status}`);
        ok(await b(['rmi', ref]), 'rmi');
      },
      op: () => {
        const p = spawn(process.execPath, [REGISTRY, 'gc', '--root', c.registryRoot, '--grace', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout!.on('data', (x: Buffer) => (stdout += x.toString()));
        p.stderr!.on('data', (x: Buffer) => (stderr += x.toString()));
        const done = new Promise<RunResult>((r) => p.once('exit', (code) => r({ code: code ?? 137, stdout, stderr })));
        c.gc = { pid: p.pid, done };
        return done;
      },
      retry: async () => {
        const r = await run(process.execPath, [REGISTRY, 'gc', '--root', c.registryRoot, '--grace', '0']);
        ok(r, 'registry gc');
        // What stays tagged still pulls whole after the sweep.
        await b(['rmi', '-f', `${reg}/torture/pull`]);
        ok(await b(['pull', '-q', `${reg}/torture/pull`]), 'pull after gc');
        await expectBig(d, `${reg}/torture/pull`, 'pulled after gc');
      },
    },
  ];
}
