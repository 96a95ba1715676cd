// docker's --format handling: "table …" (header row from the same template, tabwriter
// alignment), "json" ({{json .}}), a plain template (one line per item), or the default table.
import { tabwrite } from './tabwriter.js';
import { compileTemplate, headerFuncs } from './template.js';

export interface ListFormat {
  /** Value of --format ('' = default). */
  format: string;
  /** The default, e.g. "table {{.ID}}\t{{.Image}}". */
  defaultFormat: string;
  /** Header names by field, e.g. { ID: 'CONTAINER ID' } (methods like Label → 'LABEL'). */
  headers: Record<string, string>;
}

function preFormat(f: string): { table: boolean; body: string } {
  let table = false;
  let body = f;
  if (body.startsWith('table')) {
    table = true;
    body = body.slice(5);
  }
  body = body
    .replace(/^ +| +$/g, '')
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n');
  return { table, body };
}

export function resolveFormat(format: string, defaultFormat: string): string {
  if (!format) return defaultFormat;
  if (format === 'table') return defaultFormat.startsWith('table') ? defaultFormat : `table ${defaultFormat}`;
  if (format === 'json') return '{{json .}}';
  return format;
}

/** Header object: every field name maps to its header; called methods ({{.Label "x"}}) too. */
function headerContext(headers: Record<string, string>): Record<string, unknown> {
  const h: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = v;
  return new Proxy(h, { get: (t, k) => (typeof k === 'string' && k in t ? t[k] : ''), has: () => true });
}

export function renderList(spec: ListFormat, items: unknown[]): string {
  const { table, body } = preFormat(resolveFormat(spec.format, spec.defaultFormat));
  const tmpl = compileTemplate(body);
  let out = '';
  if (table) {
    const hdr = headerContext({ ...spec.headers });
    // docker's HeaderContext.Label: the label name's last dot part, '-' and '_' as spaces
    (hdr as Record<string, unknown>).Label = (name: unknown) => String(name).split('.').pop()!.replace(/[-_]/g, ' ');
    out += `${compileTemplate(body, headerFuncs).execute(hdr)}\n`;
  }
  for (const it of items) out += `${tmpl.execute(it)}\n`;
  return table ? tabwrite(out) : out;
}

/** A single object with a template (inspect -f, version/info --format). */
export function renderOne(format: string, data: unknown): string {
  const { body } = preFormat(format === 'json' ? '{{json .}}' : format);
  return `${compileTemplate(body).execute(data)}\n`;
}
