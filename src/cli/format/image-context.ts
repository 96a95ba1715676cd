// Rows of `images` (one per repo:tag, "<none>" otherwise) and `history`, as docker shows them.
import type { HistoryItem, ImageSummary } from '../../api/types/index.js';
import { ellipsis, truncateId } from './ellipsis.js';
import { goTimeString } from './time-format.js';
import { humanDuration } from '../../client/units.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';

export const IMAGES_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};
export const imagesDefault = (digests: boolean) => `table {{.Repository}}\t{{.Tag}}\t${digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;

export class ImageContext {
  constructor(
    private readonly i: ImageSummary,
    readonly Repository: string,
    readonly Tag: string,
    readonly Digest: string,
    private readonly trunc = true,
    private readonly now = Date.now(),
  ) {}
  get ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }
  get CreatedSince(): string {
    return this.i.Created > 0 ? `${humanDuration(this.now / 1000 - this.i.Created)} ago` : 'N/A';
  }
  get CreatedAt(): string {
    return goTimeString(this.i.Created);
  }
  get Size(): string {
    return humanSizeWithPrecision(this.i.Size, 3);
  }
  get VirtualSize(): string {
    return humanSizeWithPrecision(this.i.VirtualSize ?? this.i.Size, 3);
  }
  get SharedSize(): string {
    return this.i.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(this.i.SharedSize, 3);
  }
  get UniqueSize(): string {
    return this.i.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(this.i.Size - this.i.SharedSize, 3);
  }
  get Containers(): string {
    return this.i.Containers < 0 ? 'N/A' : String(this.i.Containers);
  }
  toJSON(): Record<string, string> {
    const keys = ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize'] as const;
    return Object.fromEntries(keys.map((k) => [k, this[k]]));
  }
}

/** docker's image rows: each repo:tag (with its digest), digest-only rows, or <none>:<none>. */
export function imageRows(images: ImageSummary[], trunc: boolean, now = Date.now()): ImageContext[] {
  const rows: ImageContext[] = [];
  for (const img of [...images].sort((a, b) => b.Created - a.Created)) {
    const digests = new Map<string, string>();
    for (const d of img.RepoDigests ?? []) {
      const at = d.indexOf('@');
      if (at > 0) digests.set(d.slice(0, at), d.slice(at + 1));
    }
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const tagged = new Set<string>();
    for (const t of tags) {
      const c = t.lastIndexOf(':');
      const repo = t.slice(0, c);
      tagged.add(repo);
      rows.push(new ImageContext(img, repo, t.slice(c + 1), digests.get(repo) ?? '<none>', trunc, now));
    }
    for (const [repo, dg] of digests) if (!tagged.has(repo)) rows.push(new ImageContext(img, repo, '<none>', dg, trunc, now));
    if (!tags.length && !digests.size) rows.push(new ImageContext(img, '<none>', '<none>', '<none>', trunc, now));
  }
  return rows;
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};
export const HISTORY_DEFAULT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export class HistoryContext {
  constructor(
    private readonly h: HistoryItem,
    private readonly trunc = true,
    private readonly human = true,
    private readonly now = Date.now(),
  ) {}
  get ID(): string {
    return this.h.Id === '<missing>' || !this.trunc ? this.h.Id : truncateId(this.h.Id);
  }
  get CreatedSince(): string {
    if (!this.human) return this.CreatedAt;
    return this.h.Created > 0 ? `${humanDuration(this.now / 1000 - this.h.Created)} ago` : 'N/A';
  }
  get CreatedAt(): string {
    return new Date(this.h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  get CreatedBy(): string {
    const s = this.h.CreatedBy.replace(/\t/g, ' ');
    return this.trunc ? ellipsis(s, 45) : s;
  }
  get Size(): string {
    return this.human ? humanSizeWithPrecision(this.h.Size, 3) : String(this.h.Size);
  }
  get Comment(): string {
    return this.h.Comment;
  }
  toJSON(): Record<string, string> {
    return { Comment: this.Comment, CreatedAt: this.CreatedAt, CreatedBy: this.CreatedBy, CreatedSince: this.CreatedSince, ID: this.ID, Size: this.Size };
  }
}
