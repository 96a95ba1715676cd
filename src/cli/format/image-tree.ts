// `image ls --tree` (docker 28): each image name on a line with its ID (the index digest when the
// name was pulled or pushed as an index), then one line per platform it holds (├─/└─ and the
// platform, that manifest's ID, disk usage and content size), a blank line between names.
// Pure: summaries in (GET /images/json?manifests=1), text out. No colours (Berth prints none).
import type { ImageSummary } from '../../api/types/index.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import { formatPlatform } from '../../lib/platform.js';

const SPACING = 3;
const LEGEND = 'i Info →   U  In Use';

interface Details {
  id: string;
  disk: string;
  content: string;
  used: boolean;
}

interface TreeImage {
  names: string[];
  details: Details;
  children: { platform: string; details: Details }[];
}

const truncId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const size = (n: number) => humanSizeWithPrecision(n, 3);

export function treeView(list: readonly ImageSummary[], o: { all?: boolean } = {}): TreeImage[] {
  const out: TreeImage[] = [];
  for (const img of [...list].sort((a, b) => b.Created - a.Created)) {
    const names = img.RepoTags.filter((t) => t !== '<none>:<none>');
    // As docker 28: untagged images only with --all.
    if (!names.length && !o.all) continue;
    const children = (img.Manifests ?? [])
      .filter((m) => m.Kind === 'image')
      .map((m) => ({
        platform: m.ImageData ? formatPlatform(m.ImageData.Platform) : '',
        details: { id: truncId(m.ID), disk: size(m.Size.Total), content: size(m.Size.Content), used: (m.ImageData?.Containers.length ?? 0) > 0 },
      }));
    const total = (img.Manifests ?? []).reduce((n, m) => n + m.Size.Total, 0);
    const content = (img.Manifests ?? []).reduce((n, m) => n + m.Size.Content, 0);
    out.push({
      names: names.length ? names : ['<untagged>'],
      details: {
        id: truncId(img.Descriptor?.digest ?? img.Id),
        disk: size(img.Manifests ? total : img.Size),
        content: size(content),
        used: img.Containers > 0 || children.some((c) => c.details.used),
      },
      children,
    });
  }
  return out;
}

const left = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].length));
const right = (s: string, w: number) => ' '.repeat(Math.max(0, w - [...s].length)) + s;

/** The tree as docker 28 prints it without a terminal (width 80 unless given). */
export function renderTree(images: readonly TreeImage[], width = 80): string {
  let nameWidth = 'IMAGE'.length;
  for (const img of images) {
    for (const n of img.names) nameWidth = Math.max(nameWidth, [...n].length);
    for (const c of img.children) nameWidth = Math.max(nameWidth, [...c.platform].length + 3);
  }
  const cols = [
    { title: 'ID', width: 12, value: (d: Details) => left(d.id, 12) },
    { title: 'DISK USAGE', width: 10, value: (d: Details) => right(d.disk, 10) },
    { title: 'CONTENT SIZE', width: 12, value: (d: Details) => right(d.content, 12) },
    { title: 'EXTRA', width: 5, value: (d: Details) => left(d.used ? ' U' : '', 5) },
  ];
  // Columns that would squeeze the name column under 12 go (a narrow terminal).
  let room = Math.max(width, 20);
  const shown = cols.filter((c) => {
    if (room - (c.width + SPACING) < 12) return false;
    room -= c.width + SPACING;
    return true;
  });
  const tableWidth = nameWidth + shown.reduce((n, c) => n + SPACING + c.width, 0);
  const details = (d: Details) => shown.map((c) => ' '.repeat(SPACING) + c.value(d)).join('');
  const lines: string[] = [right(LEGEND, tableWidth), ''];
  lines.push(left('IMAGE', nameWidth) + shown.map((c) => ' '.repeat(SPACING) + left(c.title, c.width)).join(''));
  images.forEach((img, i) => {
    if (i > 0) lines.push('');
    img.names.forEach((n, j) => lines.push(j < img.names.length - 1 ? n : left(n, nameWidth) + details(img.details)));
    img.children.forEach((c, j) => lines.push(left(`${j < img.children.length - 1 ? '├─' : '└─'} ${c.platform}`, nameWidth) + details(c.details)));
  });
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}
