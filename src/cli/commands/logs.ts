// logs: GET /containers/{id}/logs, raw with a TTY container, demultiplexed otherwise.
import type { Writable } from 'node:stream';
import { demuxStream, demuxWriter } from '../../api/client/stdcopy.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { timestampArg } from '../../client/units.js';

interface LogsOpts {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  details?: boolean;
}

export async function logs(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'logs', usage: '[OPTIONS] CONTAINER', description: 'Fetch the logs of a container', exactArgs: 1 })
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <string>', 'Show logs since timestamp or relative (e.g. 42m for 42 minutes)')
    .option('--until <string>', 'Show logs before a timestamp or relative (e.g. 42m for 42 minutes)')
    .option('--details', 'Show extra details provided to logs');
  const p = parse<LogsOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const id = p.args[0]!;
  const info = await ctx.docker.containerInspect(id);
  const query = {
    follow: o.follow,
    tail: o.tail,
    timestamps: o.timestamps,
    details: o.details,
    since: o.since ? timestampArg(o.since) : undefined,
    until: o.until ? timestampArg(o.until) : undefined,
  };
  // Over a unix socket the log comes without node:http and goes out with synchronous writes (no
  // stream objects: a short log costs a command little more than Node's start-up).
  const sink = info.Config.Tty ? { push: (c: Buffer) => ctx.out(c), end: () => {} } : demuxWriter(ctx.out.bind(ctx), ctx.err.bind(ctx));
  const streamed = ctx.docker.containerLogsTo(id, query, sink.push);
  if (streamed) {
    await streamed.head;
    await streamed.done;
    sink.end();
    return 0;
  }
  const res = await ctx.docker.containerLogs(id, query);
  if (info.Config.Tty) for await (const chunk of res) ctx.io.stdout.write(chunk as Buffer);
  else await demuxStream(res, ctx.io.stdout as unknown as Writable, ctx.io.stderr as unknown as Writable);
  return 0;
}
