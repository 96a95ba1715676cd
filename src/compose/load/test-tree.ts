// Test support for the loader: a temporary folder tree from a map of relative paths to file
// contents, loading from it, and the assertion every error test makes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';
import { ComposeFileError } from '../errors.js';
import { loadProject, type LoadOptions } from './load-project.js';

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

/** loadProject from `cwd` with a fixed HOME (for `~` in bind sources), as the loader tests use it. */
export const load = (cwd: string, opts: Partial<LoadOptions> = {}) => loadProject({ env: { HOME: '/home/u' }, cwd, ...opts });

/** Asserts a ComposeFileError whose message matches and whose path (when given) is exact. */
export async function rejects(p: Promise<unknown>, message: RegExp, path?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ComposeFileError, `not a ComposeFileError: ${String(e)}`);
    assert.match(e.message, message);
    if (path !== undefined) assert.equal(e.path, path);
    assert.equal(e.kind, 'invalid-argument');
    return true;
  });
}
