// Who may use the API socket: root:<group> 0660 with -G (dockerd's flag), so a member of the group
// gets in and anyone else is refused by the kernel; an explicit group that does not exist is a
// startup error. Other users are simulated with setpriv (uid nobody, with or without the gid).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync } from 'node:fs';
import { TestDaemon, run } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('chown of the socket, setpriv');
const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
});

/** GET /_ping over the socket as uid 65534 with only `gid`, in a child process (node's http client). */
async function pingAs(socket: string, gid: number): Promise<string> {
  const code = `require('http').get({socketPath:${JSON.stringify(socket)},path:'/_ping'},r=>{console.log(r.statusCode);process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
  const r = await run('setpriv', ['--reuid=65534', `--regid=${gid}`, '--clear-groups', process.execPath, '-e', code]);
  return (r.stdout || r.stderr).trim();
}

test('-G GROUP: the socket is root:GROUP 0660; a member gets in, others are refused', { skip }, async () => {
  const d = await TestDaemon.create();
  daemons.push(d);
  chmodSync(d.dir, 0o711); // let the unprivileged client reach the socket file at all
  const gid = 4242;
  await d.start(['-G', String(gid)]);
  const st = statSync(d.socket);
  assert.equal(st.mode & 0o777, 0o660);
  assert.equal(st.uid, 0);
  assert.equal(st.gid, gid);
  assert.equal(await pingAs(d.socket, gid), '200');
  assert.equal(await pingAs(d.socket, 65534), 'EACCES');
});

test('-H tcp://127.0.0.1:PORT serves the API over loopback TCP; a non-loopback plain TCP address is refused at startup', { skip }, async () => {
  const d = await TestDaemon.create();
  daemons.push(d);
  const port = 20000 + Math.floor(Math.random() * 20000);
  await d.start(['-H', `tcp://127.0.0.1:${port}`]);
  const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/_ping`]);
  assert.equal(r.stdout, '200');
  const e = await TestDaemon.create();
  daemons.push(e);
  await assert.rejects(e.start(['-H', `tcp://0.0.0.0:${port + 1}`]), /refusing to serve the API on tcp:\/\/0\.0\.0\.0:\d+ without TLS/);
});

test('-G naming a group that does not exist is refused at startup', { skip }, async () => {
  const d = await TestDaemon.create();
  daemons.push(d);
  await assert.rejects(d.start(['--group', 'no-such-group-berth']), /group no-such-group-berth not found/);
});
