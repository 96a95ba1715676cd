// One request's bytes written on a unix socket and everything the daemon answers read until it
// closes the connection. Every berth command is a fresh process, and node:net costs a tenth of
// `node -e 0` of CPU on each run (measured: +9 ms of 84 ms, against +0 for this file's path):
// requiring it loads ~25 stream and socket modules, V8 compiles their functions from source on
// every run (Node caches only a builtin's top level), and a socket's destroy reads
// `process.stderr`, which builds that stream too. So the exchange drives libuv's pipe handle
// directly through the bindings node:net itself uses (`process.binding('pipe_wrap')` and
// `'stream_wrap'`, on the allow list Node keeps for them), and falls back to node:net when they
// are not there or not of the shape Node 20 to 24 give them (a future Node, the permission model),
// or when `--pending-deprecation` would make `process.binding` print a warning.
import { getSystemErrorName } from 'node:util';

/** The parts of Node's pipe and stream bindings the exchange uses. */
interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete?: (status: number) => void };
  WriteWrap: new () => { handle?: PipeHandle; buffer?: Buffer; oncomplete?: (status: number) => void };
  socketType: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

interface PipeHandle {
  connect(req: object, path: string): number;
  readStart(): number;
  writeBuffer(req: object, b: Buffer): number;
  close(): void;
  onread: (ab: ArrayBuffer | undefined) => void;
}

const ignore = (): void => {};

/** libuv's end-of-file code on Linux (UV_EOF). */
const UV_EOF = -4095;

let bindings: PipeBindings | null | undefined;

function pendingDeprecation(): boolean {
  return (
    process.execArgv.includes('--pending-deprecation') ||
    /(^|\s)--pending-deprecation\b/.test(process.env.NODE_OPTIONS ?? '') ||
    process.env.NODE_PENDING_DEPRECATION === '1'
  );
}

/** The bindings when they are usable, else null (node:net then). */
function pipeBindings(): PipeBindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  if (pendingDeprecation() || process.env.BERTH_UNIX_NET === '1') return bindings;
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
    if (typeof binding !== 'function') return bindings;
    const pw = binding('pipe_wrap');
    const sw = binding('stream_wrap');
    const constants = pw.constants as { SOCKET?: unknown } | undefined;
    const ok =
      typeof pw.Pipe === 'function' &&
      typeof pw.PipeConnectWrap === 'function' &&
      typeof sw.WriteWrap === 'function' &&
      typeof constants?.SOCKET === 'number' &&
      sw.streamBaseState instanceof Int32Array &&
      typeof sw.kReadBytesOrError === 'number' &&
      typeof sw.kArrayBufferOffset === 'number';
    if (!ok) return bindings;
    const proto = (pw.Pipe as { prototype: Record<string, unknown> }).prototype;
    if (!['connect', 'readStart', 'writeBuffer', 'close'].every((m) => typeof proto[m] === 'function')) return bindings;
    bindings = {
      Pipe: pw.Pipe as PipeBindings['Pipe'],
      PipeConnectWrap: pw.PipeConnectWrap as PipeBindings['PipeConnectWrap'],
      WriteWrap: sw.WriteWrap as PipeBindings['WriteWrap'],
      socketType: constants!.SOCKET as number,
      state: sw.streamBaseState as Int32Array,
      kReadBytesOrError: sw.kReadBytesOrError as number,
      kArrayBufferOffset: sw.kArrayBufferOffset as number,
    };
  } catch {
    // not on the allow list, or the permission model refuses: node:net
  }
  return bindings;
}

/** An Error shaped as node:net's (`code`, `errno`, `syscall`, `address`), so callers match codes alike. */
function uvError(errno: number, syscall: string, address: string): Error {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code} ${address}`), { code, errno, syscall, address });
}

/** Writes `request` on the socket at `socketPath` and resolves with every byte read until EOF. */
export async function exchange(socketPath: string, request: Buffer, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await streamExchange(socketPath, request, (c) => chunks.push(c), signal);
  return Buffer.concat(chunks);
}

/** Lets a caller end an exchange early without an AbortSignal (whose event-target code a CLI process would load and compile). */
export interface ExchangeControl {
  /** Set by streamExchange: closes the connection; the exchange then rejects with a `closed` error. */
  close?: () => void;
}

/**
 * Writes `request` and hands each chunk read to `onData` as it arrives (an answer of any size
 * or length of time: logs, attach); resolves at EOF. `onData` may throw to end the exchange
 * with that error.
 */
export function streamExchange(
  socketPath: string,
  request: Buffer,
  onData: (chunk: Buffer) => void,
  signal?: AbortSignal,
  control?: ExchangeControl,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  const b = pipeBindings();
  return b ? rawExchange(b, socketPath, request, onData, signal, control) : netExchange(socketPath, request, onData, signal, control);
}

const closedError = (): Error => Object.assign(new Error('the connection was closed'), { code: 'ERR_CLOSED' });

/**
 * One exchange's end, whichever comes first (EOF, an error, the signal, control.close()): the
 * connection is closed once and the promise settled once.
 */
function settleOnce(
  close: () => void,
  resolve: () => void,
  reject: (e: unknown) => void,
  signal: AbortSignal | undefined,
  control: ExchangeControl | undefined,
): { finish: (err?: unknown) => void; isDone: () => boolean } {
  let done = false;
  const finish = (err?: unknown): void => {
    if (done) return;
    done = true;
    signal?.removeEventListener('abort', onAbort);
    close();
    if (err) reject(err);
    else resolve();
  };
  const onAbort = (): void => finish(signal!.reason ?? new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (control) control.close = () => finish(closedError());
  return { finish, isDone: () => done };
}

function rawExchange(
  b: PipeBindings,
  socketPath: string,
  request: Buffer,
  onData: (chunk: Buffer) => void,
  signal: AbortSignal | undefined,
  control: ExchangeControl | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const handle = new b.Pipe(b.socketType);
    const { finish, isDone } = settleOnce(
      () => {
        handle.onread = ignore; // an accessor that takes functions only
        handle.close();
      },
      resolve,
      reject,
      signal,
      control,
    );
    const connectReq = new b.PipeConnectWrap();
    connectReq.oncomplete = (status: number): void => {
      if (isDone()) return;
      if (status < 0) return finish(uvError(status, 'connect', socketPath));
      handle.onread = (ab): void => {
        const n = b.state[b.kReadBytesOrError]!;
        if (n > 0) {
          // Each read gets a buffer of its own (node:net keeps views of them the same way).
          try {
            onData(Buffer.from(ab!, b.state[b.kArrayBufferOffset]!, n));
          } catch (e) {
            finish(e);
          }
        } else if (n === UV_EOF) finish();
        else if (n < 0) finish(uvError(n, 'read', socketPath));
      };
      const readErr = handle.readStart();
      if (readErr) return finish(uvError(readErr, 'read', socketPath));
      const writeReq = new b.WriteWrap();
      writeReq.handle = handle;
      writeReq.buffer = request; // kept alive until an asynchronous write completes
      writeReq.oncomplete = (st: number): void => {
        if (st < 0) finish(uvError(st, 'write', socketPath));
      };
      const writeErr = handle.writeBuffer(writeReq, request);
      if (writeErr) finish(uvError(writeErr, 'write', socketPath));
    };
    const err = handle.connect(connectReq, socketPath);
    if (err) finish(uvError(err, 'connect', socketPath));
  });
}

// process.getBuiltinModule (Node >= 20.16): the CLI bundle runs as a vm.Script (bin/berth's code
// cache), where a dynamic import() has no loader to call; a static import would load node:net
// in every process.
function netExchange(
  socketPath: string,
  request: Buffer,
  onData: (chunk: Buffer) => void,
  signal: AbortSignal | undefined,
  control: ExchangeControl | undefined,
): Promise<void> {
  const { connect } = process.getBuiltinModule('node:net') as typeof import('node:net');
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const { finish } = settleOnce(() => sock.destroy(), resolve, reject, signal, control);
    sock.write(request);
    sock.on('data', (c: Buffer) => {
      try {
        onData(c);
      } catch (e) {
        finish(e);
      }
    });
    sock.on('error', (err) => finish(err));
    sock.on('end', () => finish());
  });
}

/** Which way `exchange` goes in this process (tests). */
export function exchangeKind(): 'bindings' | 'net' {
  return pipeBindings() ? 'bindings' : 'net';
}
