"""Drives one worker kind (Celeriac or a Celery pool) against a private Redis and prints JSON lines.

Usage (run.sh calls it):
  bench.py publish --port P -n 5000
  bench.py worker --port P --kind swift|swift-pf16|prefork|threads|solo --swift-bin PATH \
      --drain-n N --add-n N --e2e-n N --rtt-n N

Every worker kind gets the same input: the queue is preloaded with copies of one envelope that Celery's
own apply_async produced (ids and delivery tags replaced by fresh UUIDs), then ONE worker process is
started and timed until the queue list and the `unacked` hash are both empty (polled every 10 ms).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import redis  # noqa: E402

CLK_TCK = os.sysconf('SC_CLK_TCK')
POLL = 0.010


def emit(record):
    print(json.dumps(record), flush=True)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- /proc helpers -------------------------------------------------------------------------------

def descendants(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for tid in os.listdir(f'/proc/{p}/task'):
                with open(f'/proc/{p}/task/{tid}/children') as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def rss_kb(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open(f'/proc/{p}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid, tree=True):
    total = 0
    for p in (descendants(pid) if tree else [pid]):
        try:
            with open(f'/proc/{p}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


# --- Celery producer ----------------------------------------------------------------------------

def celery_app(port, acks_late=False):
    os.environ['BENCH_URL'] = f'redis://127.0.0.1:{port}/0'
    os.environ['BENCH_ACKS_LATE'] = '1' if acks_late else '0'
    import benchtasks
    return benchtasks


def template(r, bt, task, args):
    """One envelope exactly as Celery publishes it, taken back off the queue."""
    r.delete('celery')
    getattr(bt, task).apply_async(args, ignore_result=(task == 'noop'))
    raw = r.rpop('celery').decode()
    env = json.loads(raw)
    return raw, env['headers']['id'], env['properties']['delivery_tag']


def preload(r, bt, task, args, n):
    raw, tid, tag = template(r, bt, task, args)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.lpush('celery', raw.replace(tid, str(uuid.uuid4())).replace(tag, str(uuid.uuid4())))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    assert r.llen('celery') == n, r.llen('celery')


def cmd_publish(a):
    bt = celery_app(a.port)
    r = redis.Redis(port=a.port)
    r.flushdb()
    for _ in range(200):
        bt.noop.apply_async(ignore_result=True)
    r.flushdb()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(a.n):
        bt.noop.apply_async(ignore_result=True)
    t1, c1 = time.perf_counter(), time.process_time()
    assert r.llen('celery') == a.n
    r.flushdb()
    emit({'test': 'publish', 'producer': 'python-celery', 'n': a.n, 'seconds': t1 - t0,
          'rate': a.n / (t1 - t0), 'producer_cpu_us': (c1 - c0) / a.n * 1e6})


# --- workers ------------------------------------------------------------------------------------

def start_worker(a, acks_late):
    url = f'redis://127.0.0.1:{a.port}/0'
    env = dict(os.environ, BENCH_URL=url, BENCH_ACKS_LATE='1' if acks_late else '0')
    if a.kind.startswith('swift'):
        cmd = [a.swift_bin, 'worker', '-b', url, '--result-backend', url, '-Q', 'celery', '-c', '8', '-l', 'warning']
        if acks_late:
            env['CELERY_TASK_ACKS_LATE'] = 'true'
        if a.kind == 'swift-pf16':
            env['CELERY_WORKER_PREFETCH_MULTIPLIER'] = '16'
    else:
        conc = {'prefork': '2', 'threads': '8', 'solo': '1'}[a.kind]
        cmd = [os.path.join(os.path.dirname(sys.executable), 'celery'), '-A', 'benchtasks', 'worker',
               '-P', a.kind, '-c', conc, '-Q', 'celery', '-l', 'warning',
               '--without-gossip', '--without-mingle', '--without-heartbeat']
    log('   start:', ' '.join(cmd), '(acks_late on)' if acks_late else '(acks_late off)')
    return subprocess.Popen(cmd, cwd=HERE, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(a.logdir, f'worker-{a.kind}.log'), 'a'))


def stop_worker(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    try:  # prefork children left behind, if any (same process group, ours)
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def redis_pid(r):
    return int(r.info('server')['process_id'])


def commandstats(r):
    return {k.replace('cmdstat_', ''): v['calls'] for k, v in r.info('commandstats').items()}


def drain(a, r, bt, task, args, n, acks_late):
    r.flushdb()
    preload(r, bt, task, args, n)
    r.config_resetstat()
    rpid = redis_pid(r)
    p = start_worker(a, acks_late)
    pipe = r.pipeline(transaction=False)
    t0 = remaining0 = None
    rss_peak = 0
    last_rss = 0.0
    deadline = time.perf_counter() + a.timeout
    done = 0
    while True:
        now = time.perf_counter()
        llen, hlen = pipe.llen('celery').hlen('unacked').execute()
        if t0 is None and llen < n:
            t0, remaining0 = now, llen + hlen
            wcpu0, rcpu0 = cpu_seconds(p.pid), cpu_seconds(rpid, tree=False)
        if t0 is not None and now - last_rss > 0.1:
            rss_peak = max(rss_peak, rss_kb(p.pid))
            last_rss = now
        if t0 is not None and llen == 0 and hlen == 0:
            t1 = now
            done = remaining0
            break
        if now > deadline or p.poll() is not None:
            t1 = now
            done = (remaining0 or n) - (llen + hlen)
            log('   TIMEOUT/EXIT with', llen, hlen, 'left')
            break
        time.sleep(POLL)
    wcpu1, rcpu1 = cpu_seconds(p.pid), cpu_seconds(rpid, tree=False)
    time.sleep(0.5)
    rss_idle = rss_kb(p.pid)
    stats = commandstats(r)
    stats.pop('llen', None), stats.pop('hlen', None), stats.pop('info', None), stats.pop('config|resetstat', None)
    secs = t1 - t0 if t0 else float('nan')
    rec = {'test': f'drain-{task}', 'kind': a.kind, 'acks_late': acks_late, 'n': n, 'measured': done,
           'seconds': secs, 'rate': done / secs if t0 else 0,
           'worker_cpu_us': (wcpu1 - wcpu0) / max(done, 1) * 1e6 if t0 else None,
           'redis_cpu_us': (rcpu1 - rcpu0) / max(done, 1) * 1e6 if t0 else None,
           'worker_cpu_util': (wcpu1 - wcpu0) / secs if t0 else None,
           'redis_cpu_util': (rcpu1 - rcpu0) / secs if t0 else None,
           'rss_peak_kb': rss_peak, 'rss_after_kb': rss_idle,
           'commands_per_task': {k: round(v / n, 3) for k, v in sorted(stats.items())}}
    emit(rec)
    return p


def e2e(a, r, bt, n):
    for i in range(50):
        bt.add.delay(i, i).get(timeout=30)
    c0, t0 = time.process_time(), time.perf_counter()
    results = [bt.add.apply_async((i, i)) for i in range(n)]
    t_sent = time.perf_counter()
    for i, res in enumerate(results):
        assert res.get(timeout=120) == 2 * i
    t1, c1 = time.perf_counter(), time.process_time()
    emit({'test': 'e2e-add', 'kind': a.kind, 'n': n, 'seconds': t1 - t0, 'rate': n / (t1 - t0),
          'send_seconds': t_sent - t0, 'producer_cpu_us': (c1 - c0) / n * 1e6})


def roundtrip(a, r, bt, n):
    for _ in range(100):
        bt.add.delay(2, 2).get(timeout=30)
    # redis-cli MONITOR timestamps give the worker's share of each round trip: from the client's LPUSH
    # reaching Redis to the worker's PUBLISH of the result (the Python client's own cost excluded).
    mon_path = os.path.join(a.logdir, f'monitor-{a.kind}.txt')
    mon = subprocess.Popen(['redis-cli', '-p', str(a.port), 'monitor'], stdout=open(mon_path, 'w'))
    time.sleep(0.3)
    lat = []
    c0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        assert bt.add.delay(2, 2).get(timeout=30) == 4
        lat.append(time.perf_counter() - t)
    c1 = time.process_time()
    time.sleep(0.3)
    mon.terminate()
    mon.wait()
    server, pushed = [], None
    with open(mon_path, errors='replace') as fh:
        for line in fh:
            if '"LPUSH" "celery"' in line:
                pushed = float(line.split(' ', 1)[0])
            elif '"PUBLISH" "celery-task-meta-' in line and pushed is not None:
                server.append(float(line.split(' ', 1)[0]) - pushed)
                pushed = None
    server.sort()
    sq = statistics.quantiles(server, n=100, method='inclusive') if len(server) > 2 else [None] * 99
    lat.sort()
    q = statistics.quantiles(lat, n=100, method='inclusive')
    emit({'test': 'roundtrip', 'kind': a.kind, 'n': n, 'p50_ms': q[49] * 1e3, 'p90_ms': q[89] * 1e3,
          'p99_ms': q[98] * 1e3, 'max_ms': lat[-1] * 1e3, 'mean_ms': statistics.fmean(lat) * 1e3,
          'client_cpu_us': (c1 - c0) / n * 1e6, 'worker_side_n': len(server),
          'worker_side_p50_ms': sq[49] and sq[49] * 1e3, 'worker_side_p99_ms': sq[98] and sq[98] * 1e3})


def swift_client_roundtrip(a, n):
    """The same round trips from Celeriac's Swift client (celeriac-bench client), against the same worker."""
    url = f'redis://127.0.0.1:{a.port}/0'
    out = subprocess.run([a.swift_client_bin, 'client', '-b', url, '--roundtrip', str(n), '--kind', a.kind],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        log('swift client failed:', out.stderr[-2000:])
        return
    for line in out.stdout.splitlines():
        if line.startswith('{'):
            emit(json.loads(line))


def cmd_worker(a):
    r = redis.Redis(port=a.port)
    bt = celery_app(a.port)
    # 1. noop drain, acks_late off
    p = drain(a, r, bt, 'noop', (), a.drain_n, False)
    stop_worker(p)
    # 2. noop drain, acks_late on; the same worker then serves e2e and round trip
    p = drain(a, r, bt, 'noop', (), a.drain_n, True)
    try:
        if a.e2e_n:
            e2e(a, r, bt, a.e2e_n)
        if a.rtt_n:
            roundtrip(a, r, bt, a.rtt_n)
            if a.swift_client_bin:
                swift_client_roundtrip(a, a.rtt_n)
        time.sleep(1)
        emit({'test': 'rss-idle', 'kind': a.kind, 'rss_kb': rss_kb(p.pid), 'processes': len(descendants(p.pid))})
    finally:
        stop_worker(p)
    # 3. add drain with results stored, acks_late on
    if a.add_n:
        p = drain(a, r, bt, 'add', (2, 2), a.add_n, True)
        stop_worker(p)
    r.flushdb()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    pp = sub.add_parser('publish')
    pp.add_argument('--port', type=int, required=True)
    pp.add_argument('-n', type=int, default=5000)
    wp = sub.add_parser('worker')
    wp.add_argument('--port', type=int, required=True)
    wp.add_argument('--kind', required=True, choices=['swift', 'swift-pf16', 'prefork', 'threads', 'solo'])
    wp.add_argument('--swift-bin')
    wp.add_argument('--swift-client-bin', help='celeriac-bench, for round trips from the Swift client too')
    wp.add_argument('--drain-n', type=int, default=20000)
    wp.add_argument('--add-n', type=int, default=0)
    wp.add_argument('--e2e-n', type=int, default=0)
    wp.add_argument('--rtt-n', type=int, default=1000)
    wp.add_argument('--timeout', type=float, default=120)
    wp.add_argument('--logdir', default='/tmp')
    a = ap.parse_args()
    {'publish': cmd_publish, 'worker': cmd_worker}[a.cmd](a)


if __name__ == '__main__':
    main()
