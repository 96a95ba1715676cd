import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComposeYaml } from './yaml-file.js';

test('yaml: quoted scalars whose continuation lines are less indented than their block read as yaml.v3 reads them', () => {
  // What the Dev Containers CLI writes in its compose override file.
  const text = [
    'services:',
    "  'app':",
    '    entrypoint: ["/bin/sh", "-c", "echo Container started\\n',
    'trap \\"exit 0\\" 15\\n',
    '',
    'exec \\"$$@\\"", "-"]',
    "    command: 'it''s",
    "  two'",
    '    labels:',
    "      - 'a=b'",
    '',
  ].join('\n');
  const doc = parseComposeYaml(text, 'override.yml')[0];
  assert.deepEqual(doc, {
    services: {
      app: {
        // Line folding: one line break between lines is a space, an empty line a newline.
        entrypoint: ['/bin/sh', '-c', 'echo Container started\n trap "exit 0" 15\n\nexec "$$@"', '-'],
        command: "it's two",
        labels: ['a=b'],
      },
    },
  });
  // A quote that is never closed is still an error naming the file and line.
  assert.throws(() => parseComposeYaml('a: "open\nb: 2\n', 'bad.yml'), /yaml: line \d+, column \d+: .*quote.* in bad.yml/);
});
