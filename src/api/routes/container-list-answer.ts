// `GET /containers/json` (ps) as bytes kept between requests. Beside hundreds of containers the
// answer is hundreds of KiB of JSON: building it as one string and encoding it on every request
// cost milliseconds of the event loop each time (the string join, the rope's flattening, the
// UTF-8 encoding). Here each item is a few Buffers kept with its record snapshot (see
// containerSummaryPieces in container-wire.ts), so a change to one container remakes that
// container's pieces only, and the answer is one concatenation of kept bytes; when no piece
// changed since the last answer for the same query, that answer's bytes go out again as they are.
import type { ContainerRecord } from '../../container/container-record.js';
import { containerSummaryPieces, type ContainerFacts } from './container-wire.js';

/** A kept answer: its pieces (compared by identity) and its bytes. */
interface Answer {
  pieces: Buffer[];
  body: Buffer;
}

/** A sandboxed container's last text and its bytes: the same Buffer while the text stays the same. */
interface FreshKept {
  text: string;
  bytes: Buffer;
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']\n');

/** How many distinct queries keep an answer (ps, ps -a, a compose project's label filter, ...). */
const MAX_QUERIES = 8;

export class ContainerListAnswers {
  readonly #answers = new Map<string, Answer>();
  readonly #fresh = new WeakMap<ContainerRecord, FreshKept>();

  constructor(private readonly facts: ContainerFacts) {}

  /** The JSON answer (with its final newline) for `list`, the containers the query `key` selected, in order. */
  answer(key: string, list: readonly ContainerRecord[], now: number): Buffer {
    const pieces: Buffer[] = [OPEN];
    for (let i = 0; i < list.length; i++) {
      if (i > 0) pieces.push(COMMA);
      const r = list[i]!;
      const p = containerSummaryPieces(r, this.facts, now);
      if ('pieces' in p) pieces.push(...p.pieces);
      else pieces.push(this.#freshBytes(r, p.fresh));
    }
    pieces.push(CLOSE);
    const kept = this.#answers.get(key);
    if (kept && samePieces(kept.pieces, pieces)) return kept.body;
    const body = Buffer.concat(pieces);
    this.#answers.delete(key); // re-inserted last: the map's order is least recently answered first
    if (this.#answers.size >= MAX_QUERIES) this.#answers.delete(this.#answers.keys().next().value!);
    this.#answers.set(key, { pieces, body });
    return body;
  }

  #freshBytes(r: ContainerRecord, text: string): Buffer {
    const k = this.#fresh.get(r);
    if (k && k.text === text) return k.bytes;
    const bytes = Buffer.from(text);
    this.#fresh.set(r, { text, bytes });
    return bytes;
  }
}

function samePieces(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
