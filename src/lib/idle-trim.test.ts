import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('./idle-trim.js', import.meta.url));

function child(body: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const script = `import(${JSON.stringify(MODULE)}).then(async (t) => { ${body} });`;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err, ms: Date.now() - t0 }));
  });
}

test('the idle trim runs after a quiet moment, frees the burst, and leaves no gc in the global scope', async () => {
  const r = await child(`
    t.enableIdleTrim();
    // A burst: many short-lived buffers a scavenge frees, then quiet.
    for (let i = 0; i < 2000; i++) Buffer.alloc(4096).fill(i);
    t.pokeIdleTrim();
    await new Promise((r) => setTimeout(r, 600));
    process.stdout.write(t.idleTrimsDone() + ' ' + typeof globalThis.gc);
  `);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '1 undefined', 'one trim (the poke inside the quiet time shares the first), and no global gc');
  assert.equal(r.err, '');
});

test('a pending trim never keeps the process alive', async () => {
  const r = await child(`t.enableIdleTrim(); t.pokeIdleTrim(); process.stdout.write('done');`);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'done');
});

test("V8's new space stops growing once it reaches its cap, also after a worker thread reset V8's flags", async () => {
  // Objects that survive scavenges make V8 double its new space (to 32 MiB uncapped); small steps
  // per turn of the loop leave the gc observer its turn between growths.
  const r = await child(`
    const { getHeapSpaceStatistics } = await import('node:v8');
    const { Worker } = await import('node:worker_threads');
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    t.enableIdleTrim();
    let keep = [];
    let most = 0;
    const churn = async () => {
      for (let j = 0; j < 200; j++) {
        for (let i = 0; i < 1e4; i++) { keep.push({ a: i, b: 'x' + i }); if (keep.length > 200000) keep = []; }
        most = Math.max(most, newSpace());
        await new Promise((r) => setImmediate(r));
      }
    };
    await churn();
    const capped = t.newSpaceCapped();
    const w = new Worker('0', { eval: true });
    await new Promise((r) => w.on('exit', r));
    await churn();
    process.stdout.write(JSON.stringify({ capped, most }));
  `);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { capped: boolean; most: number };
  assert.equal(out.capped, true, r.out);
  assert.ok(out.most <= 16, `new space reached ${out.most} MiB`);
});

test('no trim while a long job holds it; its release counts as work, and the trim follows', async () => {
  const r = await child(`
    t.enableIdleTrim();
    const release = t.holdIdleTrim();
    await new Promise((r) => setTimeout(r, 600));
    const during = t.idleTrimsDone();
    release();
    release(); // a second release changes nothing
    await new Promise((r) => setTimeout(r, 600));
    process.stdout.write(during + ' ' + t.idleTrimsDone());
  `);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '0 1', 'none while held, one after the release');
});

test('the first trim collects the whole heap; later ones only the young generation, until the old one grew by a MiB', async () => {
  const r = await child(`
    const quiet = () => new Promise((r) => setTimeout(r, 600));
    t.enableIdleTrim();
    await quiet();
    const first = t.idleFullGcsDone();
    for (let i = 0; i < 2000; i++) Buffer.alloc(4096).fill(i); // young garbage only
    t.pokeIdleTrim();
    await quiet();
    const afterGarbage = t.idleFullGcsDone();
    globalThis.keep = new Array(1 << 20).fill(0); // 8 MiB that stays
    t.pokeIdleTrim();
    await quiet();
    t.pokeIdleTrim(); // it is in the old generation by now, whichever space V8 allocated it in
    await quiet();
    process.stdout.write(JSON.stringify({ first, afterGarbage, afterGrowth: t.idleFullGcsDone(), trims: t.idleTrimsDone() }));
  `);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), { first: 1, afterGarbage: 1, afterGrowth: 2, trims: 4 });
});

test('after a burst grew the new space, the quiet spell ends in one full collection, and the next quiet spell without growth in none', async () => {
  const r = await child(`
    const { getHeapSpaceStatistics } = await import('node:v8');
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const initial = newSpace();
    t.enableIdleTrim();
    let keep = [];
    for (let j = 0; j < 100 && newSpace() <= initial; j++) {
      for (let i = 0; i < 1e4; i++) { keep.push({ a: i, b: 'x' + i }); if (keep.length > 200000) keep = []; }
      await new Promise((r) => setImmediate(r));
    }
    const grown = newSpace() > initial;
    keep = [];
    t.pokeIdleTrim();
    await new Promise((r) => setTimeout(r, 6500));
    const first = t.idleSettlesDone();
    t.pokeIdleTrim(); // a quiet spell with nothing grown: no full collection for it
    await new Promise((r) => setTimeout(r, 6500));
    process.stdout.write(JSON.stringify({ grown, first, second: t.idleSettlesDone(), shrunk: newSpace() <= initial }));
  `);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { grown: boolean; first: number; second: number; shrunk: boolean };
  assert.equal(out.grown, true, `the burst did not grow the new space: ${r.out}`);
  assert.deepEqual({ first: out.first, second: out.second }, { first: 1, second: 1 }, r.out);
});
