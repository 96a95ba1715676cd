// Test support: a `docker save`-format archive of one image with one layer (random bytes of a
// given size plus a text file), made with tar: what skopeo's docker-archive: transport reads.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { sha } from './registry-harness.js';

const execFileP = promisify(execFile);

export interface ImageArchive {
  path: string;
  layerTar: Buffer;
  config: Buffer;
}

export async function makeArchive(dir: string, size: number): Promise<ImageArchive> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  await writeFile(join(rootfs, 'data.bin'), randomBytes(size));
  await writeFile(join(rootfs, 'hello.txt'), 'hello from berth\n');
  const layerTar = (
    await execFileP('tar', ['-C', rootfs, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], {
      encoding: 'buffer',
      maxBuffer: 256 << 20,
    })
  ).stdout as Buffer;
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha(layerTar)] } }),
  );
  const img = join(dir, 'img');
  await mkdir(img);
  const cfgName = `${sha(config).slice(7)}.json`;
  await writeFile(join(img, cfgName), config);
  await writeFile(join(img, 'layer.tar'), layerTar);
  await writeFile(join(img, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: ['berth/test:v1'], Layers: ['layer.tar'] }]));
  const path = join(dir, 'image.tar');
  await execFileP('tar', ['-C', img, '-cf', path, '.']);
  return { path, layerTar, config };
}

export async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('skopeo', ['--insecure-policy', ...args], { timeout: 120_000, maxBuffer: 64 << 20 });
  return stdout;
}
