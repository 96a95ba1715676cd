// The Python side of docker-py-highlevel.test.ts: docker-py 5.0.3's high-level API as
// applications use it (image builds with every option, images, followed logs, networks,
// volumes, events, df, a raw attach socket). Each step runs in its own try block and reports
// {name, ok, detail}; the last line of stdout is the JSON list of results.
import { DOCKER_PY_STEPS } from './docker-py-script.js';

export const DOCKER_PY_HIGHLEVEL_SCRIPT = String.raw`
import io, json, os, sys, tarfile, tempfile, time, traceback
import docker

${DOCKER_PY_STEPS}
TAG = os.environ['BERTH_TAG']
client = docker.from_env(version=os.environ.get('DOCKER_PY_VERSION', 'auto'), timeout=60)
made = []
work = tempfile.mkdtemp(prefix='berth-py-')

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)

def stream_text(logs):
    return ''.join(m.get('stream', '') for m in logs)

@step('images.build: buildargs, target, labels, rm, forcerm, nocache, pull=False, a custom dockerfile path')
def _():
    ctx = os.path.join(work, 'ctx')
    write(os.path.join(ctx, 'data.txt'), 'payload\n')
    write(os.path.join(ctx, 'build', 'Dockerfile.custom'),
          'FROM busybox AS base\nARG GREETING=none\nRUN echo "greeting=$GREETING" > /greeting\nCOPY data.txt /data.txt\n'
          'RUN grep -q "^10.4.4.4\\spyhost$" /etc/hosts\n'
          'FROM base AS final\nRUN echo never-built > /final\n')
    img, logs = client.images.build(path=ctx, dockerfile='build/Dockerfile.custom', tag='pybuild/' + TAG + ':base',
                                    buildargs={'GREETING': 'hi'}, target='base', labels={'built.by': 'docker-py'},
                                    rm=True, forcerm=True, nocache=True, pull=False, network_mode='bridge', extra_hosts={'pyhost': '10.4.4.4'})
    text = stream_text(logs)
    expect('Successfully tagged pybuild/' + TAG + ':base' in text, text)
    expect('never-built' not in text, 'the target stopped the build at base')
    expect(img.labels.get('built.by') == 'docker-py', img.labels)
    expect('pybuild/' + TAG + ':base' in img.tags, img.tags)
    out = client.containers.run(img.id, ['cat', '/greeting', '/data.txt'], remove=True)
    expect(out == b'greeting=hi\npayload\n', out)
    # cache_from: the same build again takes every step from the named image (cachefrom=[...]).
    again, logs2 = client.images.build(path=ctx, dockerfile='build/Dockerfile.custom', buildargs={'GREETING': 'hi'}, target='base',
                                       labels={'built.by': 'docker-py'}, cache_from=['pybuild/' + TAG + ':base'], extra_hosts={'pyhost': '10.4.4.4'})
    text2 = stream_text(logs2)
    expect(again.id == img.id and text2.count('Using cache') == 5, text2)
    return img.short_id

@step('images.build: a failing RUN raises BuildError with the log')
def _():
    try:
        client.images.build(fileobj=io.BytesIO(b'FROM busybox\nRUN echo boom >&2; exit 7\n'), rm=True)
    except docker.errors.BuildError as e:
        expect("returned a non-zero code: 7" in str(e), str(e))
        text = stream_text(e.build_log)
        expect('boom' in text, text)
        return str(e)
    raise AssertionError('no BuildError')

@step('images.build: fileobj (a Dockerfile alone) and custom_context (a tar)')
def _():
    img, _ = client.images.build(fileobj=io.BytesIO(b'FROM busybox\nCMD ["echo", "from-fileobj"]\n'), tag='pyfile/' + TAG)
    expect(client.containers.run(img.id, remove=True) == b'from-fileobj\n', 'fileobj image runs')
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode='w') as t:
        for name, body in [('Dockerfile', b'FROM busybox\nCOPY hello.txt /\nCMD ["cat", "/hello.txt"]\n'), ('hello.txt', b'from-tar\n')]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            t.addfile(info, io.BytesIO(body))
    tar.seek(0)
    img2, _ = client.images.build(fileobj=tar, custom_context=True, tag='pytar/' + TAG)
    expect(client.containers.run(img2.id, remove=True) == b'from-tar\n', 'custom_context image runs')
    gz = io.BytesIO()
    with tarfile.open(fileobj=gz, mode='w:gz') as t:
        body = b'FROM busybox\nCMD ["echo", "from-gzip"]\n'
        info = tarfile.TarInfo('Dockerfile')
        info.size = len(body)
        t.addfile(info, io.BytesIO(body))
    gz.seek(0)
    img3, _ = client.images.build(fileobj=gz, custom_context=True, encoding='gzip')
    expect(client.containers.run(img3.id, remove=True) == b'from-gzip\n', 'gzip context image runs')
    return img2.short_id

@step('images.get, list, tag, history, remove')
def _():
    img = client.images.get('pyfile/' + TAG)
    expect(img.tag('pyfile/' + TAG, 'second') is True, 'tag')
    listed = client.images.list(name='pyfile/' + TAG)
    expect(len(listed) == 1 and sorted(listed[0].tags) == sorted(['pyfile/' + TAG + ':latest', 'pyfile/' + TAG + ':second']), [i.tags for i in listed])
    expect(any(img.id == i.id for i in client.images.list(filters={'label': []}) or client.images.list()), 'in the full list')
    hist = img.history()
    expect(hist[0]['CreatedBy'].endswith('CMD ["echo" "from-fileobj"]') and hist[0]['Id'] == img.id, hist[0])
    expect(all(set(h) >= {'Id', 'Created', 'CreatedBy', 'Tags', 'Size', 'Comment'} for h in hist), hist)
    client.images.remove('pyfile/' + TAG + ':second')
    expect(client.images.get('pyfile/' + TAG).tags == ['pyfile/' + TAG + ':latest'], 'one tag left')
    client.images.remove(img.id, force=True)
    try:
        client.images.get(img.id)
    except docker.errors.ImageNotFound:
        return len(hist)
    raise AssertionError('image still there after remove')

@step('containers.run(detach=True) and logs(stream=True, follow=True): one item per line')
def _():
    c = client.containers.run('busybox', ['sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; done; sleep 0.3; echo last'], detach=True)
    made.append(c)
    lines = []
    for chunk in c.logs(stream=True, follow=True):
        lines.append(chunk)
    expect(lines == [b'line-1\n', b'line-2\n', b'line-3\n', b'line-4\n', b'line-5\n', b'last\n'], lines)
    expect(c.wait(timeout=10)['StatusCode'] == 0, 'exit 0')
    return len(lines)

@step('containers.create, get, list(filters)')
def _():
    c = client.containers.create('busybox', ['true'], name='pycreate-' + TAG, labels={'suite': TAG}, environment=['A=1'])
    made.append(c)
    got = client.containers.get('pycreate-' + TAG)
    expect(got.id == c.id and got.status == 'created', got.status)
    expect('A=1' in got.attrs['Config']['Env'], got.attrs['Config']['Env'])
    byl = client.containers.list(all=True, filters={'label': 'suite=' + TAG})
    expect([x.id for x in byl] == [c.id], byl)
    bys = client.containers.list(all=True, filters={'status': 'created', 'name': 'pycreate-' + TAG})
    expect([x.id for x in bys] == [c.id], bys)
    expect(client.containers.list(filters={'label': 'suite=' + TAG}) == [], 'not running')
    got.start()
    expect(got.wait(timeout=10)['StatusCode'] == 0, 'ran')
    expect([x.id for x in client.containers.list(all=True, filters={'exited': 0, 'label': 'suite=' + TAG})] == [c.id], 'exited filter')
    return c.short_id

@step('networks.create, connect, disconnect, remove')
def _():
    net = client.networks.create('pynet-' + TAG, driver='bridge', labels={'suite': TAG})
    c = client.containers.run('busybox', ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'], detach=True, name='pynetc-' + TAG)
    made.append(c)
    net.connect(c, aliases=['alias-' + TAG])
    net.reload()
    expect([x.id for x in net.containers] == [c.id], net.containers)
    c.reload()
    eps = c.attrs['NetworkSettings']['Networks']
    expect('pynet-' + TAG in eps and 'alias-' + TAG in (eps['pynet-' + TAG]['Aliases'] or []), eps)
    expect(client.networks.get(net.id).name == 'pynet-' + TAG, 'get')
    expect([n.id for n in client.networks.list(names=['pynet-' + TAG])] == [net.id], 'list by name')
    expect([n.id for n in client.networks.list(filters={'label': 'suite=' + TAG})] == [net.id], 'list by label')
    net.disconnect(c)
    net.reload()
    expect(net.containers == [], net.containers)
    c.stop(timeout=5)
    net.remove()
    try:
        client.networks.get(net.id)
    except docker.errors.NotFound:
        return net.short_id
    raise AssertionError('network still there')

@step('volumes.create, get, list, remove')
def _():
    v = client.volumes.create('pyvol-' + TAG, labels={'suite': TAG})
    expect(v.name == 'pyvol-' + TAG and v.attrs['Driver'] == 'local', v.attrs)
    expect(client.volumes.get('pyvol-' + TAG).attrs['Labels'] == {'suite': TAG}, 'labels')
    expect([x.name for x in client.volumes.list(filters={'label': 'suite=' + TAG})] == [v.name], 'list by label')
    out = client.containers.run('busybox', ['sh', '-c', 'echo kept > /v/f; cat /v/f'], volumes={v.name: {'bind': '/v', 'mode': 'rw'}}, remove=True)
    expect(out == b'kept\n', out)
    v.remove()
    expect(client.volumes.list(filters={'name': 'pyvol-' + TAG}) == [], 'removed')
    return v.name

@step('events(decode=True) between since and until')
def _():
    since = int(time.time()) - 1
    c = client.containers.run('busybox', ['true'], detach=True, name='pyev-' + TAG)
    made.append(c)
    c.wait(timeout=10)
    until = int(time.time()) + 1
    seen = []
    for e in client.events(since=since, until=until, decode=True, filters={'container': c.id}):
        seen.append(e['Action'] if 'Action' in e else e.get('status'))
    expect(seen[:3] == ['create', 'attach', 'start'] or seen[:2] == ['create', 'start'], seen)
    expect('die' in seen, seen)
    return seen

@step('df()')
def _():
    d = client.df()
    expect(set(d) >= {'LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache'}, list(d))
    expect(any('busybox:latest' in (i.get('RepoTags') or []) for i in d['Images']), 'busybox listed')
    return d['LayersSize']

@step('api.attach_socket: stdin in, stdout out (multiplexed)')
def _():
    cid = client.api.create_container('busybox', ['sh', '-c', 'read line; echo got:$line'], stdin_open=True)['Id']
    made.append(client.containers.get(cid))
    sock = client.api.attach_socket(cid, params={'stdin': 1, 'stdout': 1, 'stream': 1})
    raw = sock._sock
    client.api.start(cid)
    raw.sendall(b'via-api\n')
    raw.settimeout(10)
    buf = b''
    while b'got:via-api' not in buf:
        chunk = raw.recv(4096)
        if not chunk:
            break
        buf += chunk
    raw.close()
    expect(buf[:8] == b'\x01\x00\x00\x00\x00\x00\x00\x0c' and buf[8:] == b'got:via-api\n', buf)
    expect(client.api.wait(cid, timeout=10)['StatusCode'] == 0, 'exit')
    return buf

for x in made:
    try:
        x.remove(force=True)
    except Exception:
        pass
for ref in ['pybuild/' + TAG + ':base', 'pytar/' + TAG]:
    try:
        client.images.remove(ref, force=True)
    except Exception:
        pass
print(json.dumps(results))
`;
