import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handlerState, parseHandlerLine, parseKernelEntry, registerLine, unescapeToHex, withFixBinary } from './binfmt-rules.js';

// Debian bookworm's /usr/lib/binfmt.d/qemu-aarch64.conf, verbatim.
const AARCH64 =
  ':qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF';
const MAGIC = '7f454c460201010000000000000000000200b700';
const MASK = 'ffffffffffffff00fffffffffffffffffeffffff';

const entry = (name: string, flags: string, enabled = true) =>
  parseKernelEntry(
    name,
    `${enabled ? 'enabled' : 'disabled'}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic ${MAGIC}\nmask ${MASK}\n`,
  );

test('parseHandlerLine reads a Debian qemu definition and names its OCI architecture', () => {
  const d = parseHandlerLine(AARCH64)!;
  assert.equal(d.arch, 'arm64');
  assert.equal(d.magic, MAGIC);
  assert.equal(d.mask, MASK);
  assert.equal(d.interpreter, '/usr/libexec/qemu-binfmt/aarch64-binfmt-P');
  assert.equal(d.flags, 'OPF');
  assert.equal(parseHandlerLine('# comment'), undefined);
  assert.equal(parseHandlerLine(':python3.11:M::\\x6f\\x0d\\x0d\\x0a::/usr/bin/python3.11:'), undefined, 'not a qemu handler');
});

test('unescapeToHex turns binfmt.d escapes and plain characters into the kernel hex', () => {
  assert.equal(unescapeToHex('\\x7fELF'), '7f454c46');
});

test('registerLine keeps the escaped fields, prefixes the name with berth- and carries F', () => {
  const d = parseHandlerLine(AARCH64.replace(':OPF', ':OP'))!;
  const line = registerLine(d);
  assert.ok(line.startsWith(':berth-qemu-aarch64:M::\\x7f\\x45'), line);
  assert.ok(line.endsWith(':/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF'), line);
  assert.equal(withFixBinary('POCF'), 'POCF');
  assert.equal(withFixBinary(''), 'F');
});

test('handlerState: an enabled entry with F serves the arch; without F or disabled it does not', () => {
  const d = parseHandlerLine(AARCH64)!;
  assert.equal(handlerState(d, []).kind, 'absent');
  assert.equal(handlerState(d, [entry('qemu-aarch64', 'PF', false)]).kind, 'absent');
  const noF = handlerState(d, [entry('qemu-aarch64', 'P')]);
  assert.equal(noF.kind, 'no-fix-binary');
  const both = handlerState(d, [entry('qemu-aarch64', 'P'), entry('berth-qemu-aarch64', 'POF')]);
  assert.equal(both.kind, 'active');
  assert.equal(both.kind === 'active' && both.entry.name, 'berth-qemu-aarch64');
  assert.equal(handlerState(d, [{ ...entry('x', 'F'), magic: '7f454c46' }]).kind, 'absent', 'a different magic is another format');
});
