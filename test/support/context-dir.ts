// Build contexts for tests: a fresh directory under `parent` holding the given files.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function makeContext(parent: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(parent, 'ctx-'));
  for (const [name, body] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), body);
  }
  return dir;
}
