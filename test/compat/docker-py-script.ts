// The Python side of docker-py.test.ts: a script for Debian's docker-py 5.0.3. Each step runs in
// its own try block and reports {name, ok, detail} so one failure does not hide the others; the
// last line of stdout is the JSON list of results.
/**
 * The step harness both docker-py scripts start with: `@step(name)` runs a function at once and
 * records {name, ok, detail}; `expect` fails a step with a detail.
 */
export const DOCKER_PY_STEPS = String.raw`
results = []
def step(name):
    def wrap(fn):
        try:
            detail = fn()
            results.append({'name': name, 'ok': True, 'detail': repr(detail)[:300]})
        except Exception as e:
            results.append({'name': name, 'ok': False, 'detail': traceback.format_exc()[-1500:]})
        return fn
    return wrap

def expect(cond, detail):
    if not cond:
        raise AssertionError(detail)
`;

export const DOCKER_PY_SCRIPT = String.raw`
import io, json, os, socket, sys, tarfile, time, traceback
import docker

${DOCKER_PY_STEPS}
TAG = os.environ['BERTH_TAG']
client = docker.from_env(version=os.environ.get('DOCKER_PY_VERSION', 'auto'), timeout=30)
made = []

@step('ping and version')
def _():
    expect(client.ping() is True, 'ping')
    v = client.version()
    expect(v['ApiVersion'] == '1.45', v)
    return v['Version']

@step('info')
def _():
    i = client.info()
    expect(i['Driver'] == 'overlay2' and i['NCPU'] >= 1, i)
    return i['Containers']

@step('containers.run without detach returns the output')
def _():
    out = client.containers.run('busybox', ['sh', '-c', 'echo hello; echo $V'], environment={'V': 'env-ok'}, remove=True)
    expect(out == b'hello\nenv-ok\n', out)
    return out

@step('containers.run with a failing command raises ContainerError')
def _():
    try:
        client.containers.run('busybox', ['sh', '-c', 'echo oops >&2; exit 3'], remove=True)
    except docker.errors.ContainerError as e:
        expect(e.exit_status == 3, e.exit_status)
        expect(b'oops' in (e.stderr or b''), e.stderr)
        return str(e)
    raise AssertionError('no ContainerError')

@step('containers.get of a missing container raises NotFound')
def _():
    try:
        client.containers.get('no-such-container-' + TAG)
    except docker.errors.NotFound as e:
        expect(e.status_code == 404, e.status_code)
        return str(e)
    raise AssertionError('no NotFound')

c = None
@step('containers.run detach, reload, attrs')
def _():
    global c
    c = client.containers.run('busybox', ['sh', '-c', 'trap "exit 0" TERM; echo started; echo err >&2; while true; do sleep 0.1; done'],
                              detach=True, name='py-' + TAG, labels={'k': 'v'}, working_dir='/tmp')
    made.append(c)
    c.reload()
    expect(c.status == 'running', c.status)
    expect(c.name == 'py-' + TAG, c.name)
    expect(c.labels == {'k': 'v'}, c.labels)
    expect(c.attrs['Config']['WorkingDir'] == '/tmp', c.attrs['Config'])
    expect(c.image.tags == ['busybox:latest'], c.image.tags)
    return c.short_id

@step('logs (stdout, stderr, timestamps, tail, stream)')
def _():
    for _ in range(50):
        if b'err' in c.logs():
            break
        time.sleep(0.1)
    expect(c.logs(stdout=True, stderr=False) == b'started\n', c.logs(stdout=True, stderr=False))
    expect(c.logs(stdout=False, stderr=True) == b'err\n', c.logs(stdout=False, stderr=True))
    expect(sorted(c.logs().splitlines()) == [b'err', b'started'], c.logs())
    ts = c.logs(timestamps=True, tail=1)
    expect(ts.count(b'\n') == 1 and b'Z ' in ts, ts)
    gen = c.logs(stream=True, follow=False)
    got = b''.join(gen)
    expect(sorted(got.splitlines()) == [b'err', b'started'], got)
    return ts

@step('exec_run: output, exit code, env, user, workdir, demux')
def _():
    r = c.exec_run(['sh', '-c', 'echo $X $(id -u) $(pwd); exit 4'], environment={'X': 'x1'}, user='1000', workdir='/etc')
    expect(r.exit_code == 4, r)
    expect(r.output == b'x1 1000 /etc\n', r.output)
    d = c.exec_run(['sh', '-c', 'echo out; echo err >&2'], demux=True)
    expect(d.output == (b'out\n', b'err\n'), d.output)
    s = c.exec_run(['sh', '-c', 'echo a; echo b'], stream=True)
    expect(b''.join(s.output) == b'a\nb\n', s)
    return r

@step('exec create/start/inspect via the low-level api')
def _():
    e = client.api.exec_create(c.id, ['sh', '-c', 'exit 6'])
    out = client.api.exec_start(e['Id'])
    info = client.api.exec_inspect(e['Id'])
    expect(info['ExitCode'] == 6 and info['Running'] is False, info)
    expect(info['ContainerID'] == c.id, info)
    return info['ProcessConfig']

@step('attach via socket: stdin in, stdout out')
def _():
    a = client.containers.create('busybox', ['sh', '-c', 'read line; echo got:$line'], stdin_open=True, name='py-attach-' + TAG)
    made.append(a)
    sock = a.attach_socket(params={'stdin': 1, 'stdout': 1, 'stderr': 1, 'stream': 1})
    raw = sock._sock
    a.start()
    raw.sendall(b'hello-sock\n')
    buf = b''
    raw.settimeout(10)
    while b'got:hello-sock' not in buf:
        chunk = raw.recv(4096)
        if not chunk:
            break
        buf += chunk
    raw.close()
    # Non-tty attach is multiplexed: an 8-byte header (stream 1 = stdout) before the payload.
    expect(buf[:1] == b'\x01' and b'got:hello-sock\n' in buf, buf)
    w = a.wait(timeout=10)
    expect(w['StatusCode'] == 0, w)
    return buf

@step('wait and stop')
def _():
    c.stop(timeout=5)
    w = c.wait(timeout=10)
    expect(w == {'StatusCode': 0, 'Error': None} or w['StatusCode'] == 0, w)
    c.reload()
    expect(c.status == 'exited', c.status)
    k = client.containers.run('busybox', ['sleep', '100'], detach=True)
    made.append(k)
    k.kill()
    expect(k.wait(timeout=10)['StatusCode'] == 137, 'kill -> 137')
    return w

@step('api.inspect_container')
def _():
    i = client.api.inspect_container(c.id)
    expect(i['Id'] == c.id and i['Name'] == '/py-' + TAG, i['Name'])
    expect(i['State']['Status'] == 'exited' and i['State']['ExitCode'] == 0, i['State'])
    expect(i['Config']['Labels'] == {'k': 'v'}, i['Config']['Labels'])
    expect(isinstance(i['HostConfig'], dict) and isinstance(i['NetworkSettings'], dict), 'sections')
    return i['State']

@step('containers.list with filters')
def _():
    names = [x.name for x in client.containers.list(all=True, filters={'label': 'k=v'})]
    expect(names == ['py-' + TAG], names)
    expect(client.containers.list(filters={'name': 'py-' + TAG}) == [], 'not running')
    return names

@step('put_archive and get_archive')
def _():
    p = client.containers.run('busybox', ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'], detach=True)
    made.append(p)
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode='w') as t:
        body = b'archive-payload\n'
        info = tarfile.TarInfo('dir/file.txt')
        info.size = len(body)
        t.addfile(info, io.BytesIO(body))
    expect(p.put_archive('/tmp', data.getvalue()) is True, 'put_archive')
    r = p.exec_run(['cat', '/tmp/dir/file.txt'])
    expect(r.output == b'archive-payload\n', r.output)
    stream, stat = p.get_archive('/tmp/dir')
    expect(stat['name'] == 'dir' and stat['mode'] & 0o20000000000, stat)
    raw = b''.join(stream)
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        names = sorted(t.getnames())
        content = t.extractfile('dir/file.txt').read()
    expect(names == ['dir', 'dir/file.txt'], names)
    expect(content == b'archive-payload\n', content)
    try:
        p.get_archive('/no/such')
    except docker.errors.NotFound:
        pass
    else:
        raise AssertionError('get_archive of a missing path did not raise NotFound')
    return stat

@step('images.list, get, tag, remove')
def _():
    imgs = client.images.list()
    expect(any('busybox:latest' in i.tags for i in imgs), [i.tags for i in imgs])
    b = client.images.get('busybox')
    expect(b.id.startswith('sha256:') and b.tags == ['busybox:latest'], b.tags)
    expect(b.tag('pytag/' + TAG, 'v1') is True, 'tag')
    t = client.images.get('pytag/' + TAG + ':v1')
    expect(t.id == b.id, t.id)
    expect(sorted(t.tags) == sorted(['busybox:latest', 'pytag/' + TAG + ':v1']), t.tags)
    expect(len(client.images.list(name='pytag/' + TAG)) == 1, 'list by name')
    h = t.history()
    expect(isinstance(h, list) and len(h) >= 1, h)
    client.images.remove('pytag/' + TAG + ':v1')
    try:
        client.images.get('pytag/' + TAG + ':v1')
    except docker.errors.ImageNotFound:
        pass
    else:
        raise AssertionError('image still there after remove')
    return b.short_id

@step('remove (and force remove of a running container)')
def _():
    r = client.containers.run('busybox', ['sleep', '100'], detach=True)
    r.remove(force=True)
    for x in made:
        try:
            x.remove(force=True)
        except docker.errors.NotFound:
            pass
    left = [x.name for x in client.containers.list(all=True)]
    expect(left == [], left)
    return 'removed'

print(json.dumps(results))
`;
