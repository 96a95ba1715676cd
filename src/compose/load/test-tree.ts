// Test support: a temporary folder tree from a map of relative paths to file contents.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made: string[] = [];
// Test files run in their own processes: their trees go when the process does.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Writes the tree; it is removed when the test process exits. */
export function writeTree(files: Record<string, string>, prefix = 'berth-compose-loader-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (rel.endsWith('/')) continue;
    writeFileSync(p, text);
  }
  return root;
}
