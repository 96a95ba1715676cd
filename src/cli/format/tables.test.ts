import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, HistoryItem, ImageSummary } from '../../api/types/index.js';
import { ContainerContext, PS_DEFAULT, PS_HEADERS, displayablePorts } from './container-context.js';
import { HISTORY_DEFAULT, HISTORY_HEADERS, HistoryContext, IMAGES_HEADERS, imageRows, imagesDefault } from './image-context.js';
import { renderList } from './render.js';
import { tabwrite } from './tabwriter.js';

test('tabwriter: minwidth 10, padding 3, last cell unaligned', () => {
  assert.equal(tabwrite('A\tBB\tC\nlonger-value\tx\ty\n'), 'A              BB        C\nlonger-value   x         y\n');
  // a line with fewer cells ends the column block, as in Go
  assert.equal(tabwrite('a\tb\nno tabs here\nccccccccccccc\td\n'), 'a         b\nno tabs here\nccccccccccccc   d\n');
  assert.equal(tabwrite('é\tx\n'), 'é         x\n', 'width counts characters');
});

const now = 1_700_000_000_000;
const ct = (o: Partial<ContainerSummary>): ContainerSummary => ({
  Id: 'f'.repeat(64),
  Names: ['/web'],
  Image: 'busybox',
  ImageID: 'sha256:' + 'a'.repeat(64),
  Command: "sh -c 'echo hello; sleep 1000'",
  Created: now / 1000 - 90,
  Ports: [],
  Labels: {},
  State: 'running',
  Status: 'Up About a minute',
  Mounts: [],
  ...o,
});

test('ps default table, docker layout', () => {
  const rows = [
    ct({}),
    ct({
      Id: '1'.repeat(64),
      Names: ['/db'],
      Command: 'true',
      Created: now / 1000 - 5,
      State: 'exited',
      Status: 'Exited (0) 5 seconds ago',
      Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    }),
  ];
  const out = renderList(
    { format: '', defaultFormat: PS_DEFAULT, headers: PS_HEADERS },
    rows.map((r) => new ContainerContext(r, true, now)),
  );
  assert.equal(
    out,
    [
      'CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS                     PORTS                  NAMES',
      'ffffffffffff   busybox   "sh -c \'echo hello; …"   About a minute ago   Up About a minute                                 web',
      '111111111111   busybox   "true"                   5 seconds ago        Exited (0) 5 seconds ago   0.0.0.0:8080->80/tcp   db',
      '',
    ].join('\n'),
  );
});

test('ps custom table, plain format, json and labels', () => {
  const c = new ContainerContext(ct({ Labels: { a: '1', b: '2' } }), true, now);
  assert.equal(
    renderList({ format: 'table {{.Names}}\\t{{.Status}}', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]),
    'NAMES     STATUS\nweb       Up About a minute\n',
  );
  assert.equal(renderList({ format: '{{.ID}}: {{.Label "b"}} {{.Labels}}', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]), 'ffffffffffff: 2 a=1,b=2\n');
  // docker's HeaderContext.Label: the label's last dot part, '-'/'_' as spaces (docker 28: "my lab el")
  assert.equal(renderList({ format: 'table {{.Label "a"}}', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]), 'a\n1\n');
  assert.equal(renderList({ format: 'table {{.Label "com.my-lab_el"}}', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]), 'my lab el\n\n');
  const j = JSON.parse(renderList({ format: '{{json .}}', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]));
  assert.equal(j.Names, 'web');
  assert.equal(j.RunningFor, 'About a minute ago');
  assert.equal(j.Command, '"sh -c \'echo hello; …"');
  assert.equal(renderList({ format: 'json', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, [c]).trim(), JSON.stringify(j));
  assert.equal(renderList({ format: 'table', defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, []).split('\n')[0]!.startsWith('CONTAINER ID   IMAGE'), true);
});

test('ps --no-trunc keeps the full id and command', () => {
  const c = new ContainerContext(ct({}), false, now);
  assert.equal(c.ID, 'f'.repeat(64));
  assert.equal(c.Command, '"sh -c \'echo hello; sleep 1000\'"');
});

test('displayable ports', () => {
  assert.equal(
    displayablePorts([
      { PrivatePort: 53, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ]),
    '53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp',
  );
});

const img = (o: Partial<ImageSummary>): ImageSummary => ({
  Id: 'sha256:' + 'b'.repeat(64),
  ParentId: '',
  RepoTags: ['busybox:latest'],
  RepoDigests: [],
  Created: now / 1000 - 3 * 86400,
  Size: 4264096,
  SharedSize: -1,
  Labels: null,
  Containers: -1,
  ...o,
});

test('images default table: one row per tag, <none> rows, decimal sizes', () => {
  const list = [
    img({}),
    img({ Id: 'sha256:' + 'c'.repeat(64), RepoTags: [], Created: now / 1000 - 30, Size: 1234 }),
    img({ RepoTags: ['busybox:latest', 'me/bb:v1'] }),
  ];
  const out = renderList({ format: '', defaultFormat: imagesDefault(false), headers: IMAGES_HEADERS }, imageRows(list, true, now));
  assert.equal(
    out,
    [
      'REPOSITORY   TAG       IMAGE ID       CREATED          SIZE',
      '<none>       <none>    cccccccccccc   30 seconds ago   1.23kB',
      'busybox      latest    bbbbbbbbbbbb   3 days ago       4.26MB',
      'busybox      latest    bbbbbbbbbbbb   3 days ago       4.26MB',
      'me/bb        v1        bbbbbbbbbbbb   3 days ago       4.26MB',
      '',
    ].join('\n'),
  );
});

test('history table truncates CREATED BY at 45 and keeps <missing>', () => {
  const h: HistoryItem[] = [
    { Id: 'sha256:' + 'd'.repeat(64), Created: now / 1000 - 7200, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
    {
      Id: '<missing>',
      Created: now / 1000 - 7200,
      CreatedBy: '/bin/sh -c #(nop) ADD file:1234567890abcdef1234567890 in / ',
      Tags: null,
      Size: 4264096,
      Comment: 'imported',
    },
  ];
  const out = renderList(
    { format: '', defaultFormat: HISTORY_DEFAULT, headers: HISTORY_HEADERS },
    h.map((x) => new HistoryContext(x, true, true, now)),
  );
  assert.equal(
    out,
    [
      'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT',
      'dddddddddddd   2 hours ago   /bin/sh -c #(nop)  CMD ["sh"]                   0B        ',
      '<missing>      2 hours ago   /bin/sh -c #(nop) ADD file:1234567890abcdef1…   4.26MB    imported',
      '',
    ].join('\n'),
  );
});
