import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageManifestSummary, ImageSummary } from '../../api/types/index.js';
import { renderTree, treeView } from './image-tree.js';

const hex = (c: string) => `sha256:${c.repeat(64)}`;
const manifest = (id: string, architecture: string, total: number, content: number, variant?: string): ImageManifestSummary => ({
  ID: id,
  Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: id, size: 500 },
  Available: true,
  Size: { Total: total, Content: content },
  Kind: 'image',
  ImageData: { Platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) }, Containers: [], Size: { Unpacked: total - content } },
});
const summary = (o: Partial<ImageSummary>): ImageSummary => ({
  Id: hex('1'),
  ParentId: '',
  RepoTags: [],
  RepoDigests: [],
  Created: 1,
  Size: 10,
  SharedSize: -1,
  Labels: {},
  Containers: -1,
  ...o,
});

test("image ls --tree: docker 28's layout, the index digest on the name line, one line per platform", () => {
  const list = [
    summary({
      Id: hex('a'),
      RepoTags: ['reg:5000/app:1'],
      Created: 20,
      Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: hex('b'), size: 0 },
      Manifests: [manifest(hex('c'), 'amd64', 3_040_000, 1_060_000), manifest(hex('d'), 'arm64', 2_870_000, 1_020_000, 'v8')],
    }),
    summary({ Id: hex('e'), RepoTags: ['busybox:latest', 'bb:1'], Created: 10, Manifests: [manifest(hex('e'), 'amd64', 2_000_000, 2_000_000)] }),
    summary({ Id: hex('f'), RepoTags: [], Created: 30, Manifests: [] }),
  ];
  assert.equal(
    renderTree(treeView(list)),
    [
      '                                                i Info →   U  In Use',
      '',
      'IMAGE               ID             DISK USAGE   CONTENT SIZE   EXTRA',
      `reg:5000/app:1      ${'b'.repeat(12)}       5.91MB         2.08MB`,
      `├─ linux/amd64      ${'c'.repeat(12)}       3.04MB         1.06MB`,
      `└─ linux/arm64/v8   ${'d'.repeat(12)}       2.87MB         1.02MB`,
      '',
      'busybox:latest',
      `bb:1                ${'e'.repeat(12)}          2MB            2MB`,
      `└─ linux/amd64      ${'e'.repeat(12)}          2MB            2MB`,
      '',
    ].join('\n'),
  );
  // Untagged images only with --all.
  assert.match(renderTree(treeView(list, { all: true })), /^<untagged>\s+f{12}/m);
});
