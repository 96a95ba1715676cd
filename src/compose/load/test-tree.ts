// Test support: a temporary folder tree from a map of relative paths to file contents.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function writeTree(files: Record<string, string>, prefix = 'berth-compose-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (rel.endsWith('/')) continue;
    writeFileSync(p, text);
  }
  return root;
}
