"""Drives one worker kind (Celeriac or a Celery pool) against a private RabbitMQ node and prints JSON lines.

Usage (run.sh calls it):
  bench.py publish --url URL -n 5000 [--confirm]
  bench.py worker --url URL --broker-pid PID --kind swift|swift-pf16|prefork|threads|solo --swift-bin PATH \
      --drain-n N --e2e-n N --rtt-n N [--backend rpc://]

Every worker kind gets the same input: the `celery` queue is preloaded with copies of one message that Celery's
own apply_async produced (taken back off the queue with basic.get; task id and correlation id replaced by fresh
UUIDs), then ONE worker process is started and timed until the queue has no ready message left (a passive
queue.declare every 10 ms; the at most prefetch-window messages still unacknowledged at that moment are noop
tasks that finish within a millisecond, and the script then checks with rabbitmqctl that nothing is left).
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

import amqp  # noqa: E402  (py-amqp, Celery's own AMQP client)

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


# --- AMQP helpers --------------------------------------------------------------------------------

def host_of(url):
    # amqp://guest:guest@127.0.0.1:PORT//
    rest = url.split('://', 1)[1]
    rest = rest.split('@', 1)[1] if '@' in rest else rest
    return rest.split('/', 1)[0]


def connect(url):
    conn = amqp.Connection(host_of(url), userid='guest', password='guest', virtual_host='/')
    conn.connect()
    return conn


def ready(ch, queue='celery'):
    return ch.queue_declare(queue, passive=True).message_count


def celery_app(a, acks_late=False, confirm=False):
    os.environ['BENCH_URL'] = a.url
    os.environ['BENCH_BACKEND'] = getattr(a, 'backend', 'rpc://')
    os.environ['BENCH_ACKS_LATE'] = '1' if acks_late else '0'
    os.environ['BENCH_CONFIRM'] = '1' if confirm else '0'
    import benchtasks
    return benchtasks


def template(ch, bt, task, args):
    """One message exactly as Celery publishes it, taken back off the queue."""
    getattr(bt, task).apply_async(args, ignore_result=(task == 'noop'))
    for _ in range(200):
        msg = ch.basic_get('celery', no_ack=True)
        if msg is not None:
            return msg
        time.sleep(0.01)
    raise SystemExit('the template message never arrived')


def preload(conn, bt, task, args, n):
    ch = conn.channel()
    bt.app.send_task('tasks.noop', ignore_result=True)  # declares Celery's topology for `celery`
    time.sleep(0.2)
    ch.queue_purge('celery')
    msg = template(ch, bt, task, args)
    props = dict(msg.properties)
    headers = dict(props.pop('application_headers', {}) or {})
    body = msg.body
    for i in range(n):
        tid = str(uuid.uuid4())
        headers['id'] = tid
        headers['root_id'] = tid
        m = amqp.Message(body, application_headers=headers, **{**props, 'correlation_id': tid})
        ch.basic_publish(m, exchange='', routing_key='celery')
    while ready(ch) < n:
        time.sleep(0.01)
    assert ready(ch) == n, ready(ch)
    ch.close()


def cmd_publish(a):
    bt = celery_app(a, confirm=a.confirm)
    conn = connect(a.url)
    ch = conn.channel()
    for _ in range(200):
        bt.noop.apply_async(ignore_result=True)
    time.sleep(0.2)
    ch.queue_purge('celery')
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(a.n):
        bt.noop.apply_async(ignore_result=True)
    t_sent = time.perf_counter()
    while ready(ch) < a.n:
        time.sleep(0.002)
    t1, c1 = time.perf_counter(), time.process_time()
    ch.queue_purge('celery')
    conn.close()
    emit({'test': 'publish', 'producer': 'python-celery' + ('-confirms' if a.confirm else ''), 'kind': 'python-celery',
          'confirms': a.confirm, 'n': a.n, 'seconds': t1 - t0, 'send_seconds': t_sent - t0, 'rate': a.n / (t1 - t0),
          'producer_cpu_us': (c1 - c0) / a.n * 1e6})


# --- workers ------------------------------------------------------------------------------------

def start_worker(a, acks_late):
    env = dict(os.environ, BENCH_URL=a.url, BENCH_BACKEND=a.backend, BENCH_ACKS_LATE='1' if acks_late else '0')
    env = {k: v for k, v in env.items() if not (k.startswith('CELERY_') or k.startswith('CELERIAC_'))}
    if a.kind.startswith('swift'):
        cmd = [a.swift_bin, 'worker', '-b', a.url, '--result-backend', a.backend, '-Q', 'celery', '-c', '8', '-l', 'warning']
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


def unacked_left(a):
    out = subprocess.run([a.ctl, 'list_queues', '-q', '--no-table-headers', 'name', 'messages_unacknowledged'],
                         capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'celery':
            return int(parts[1])
    return None


def drain(a, conn, bt, task, args, n, acks_late):
    preload(conn, bt, task, args, n)
    ch = conn.channel()
    p = start_worker(a, acks_late)
    t0 = None
    rss_peak = 0
    last_rss = 0.0
    deadline = time.perf_counter() + a.timeout
    done = 0
    while True:
        now = time.perf_counter()
        left = ready(ch)
        if t0 is None and left < n:
            t0, remaining0 = now, left
            wcpu0, bcpu0 = cpu_seconds(p.pid), cpu_seconds(a.broker_pid)
        if t0 is not None and now - last_rss > 0.1:
            rss_peak = max(rss_peak, rss_kb(p.pid))
            last_rss = now
        if t0 is not None and left == 0:
            t1 = now
            done = remaining0
            break
        if now > deadline or p.poll() is not None:
            t1 = now
            done = (remaining0 if t0 else n) - left
            log('   TIMEOUT/EXIT with', left, 'left')
            break
        time.sleep(POLL)
    wcpu1, bcpu1 = cpu_seconds(p.pid), cpu_seconds(a.broker_pid)
    time.sleep(0.5)
    rss_idle = rss_kb(p.pid)
    tail = unacked_left(a)
    ch.close()
    secs = t1 - t0 if t0 else float('nan')
    emit({'test': f'drain-{task}', 'kind': a.kind, 'acks_late': acks_late, 'n': n, 'measured': done,
          'seconds': secs, 'rate': done / secs if t0 else 0,
          'worker_cpu_us': (wcpu1 - wcpu0) / max(done, 1) * 1e6 if t0 else None,
          'broker_cpu_us': (bcpu1 - bcpu0) / max(done, 1) * 1e6 if t0 else None,
          'worker_cpu_util': (wcpu1 - wcpu0) / secs if t0 else None,
          'broker_cpu_util': (bcpu1 - bcpu0) / secs if t0 else None,
          'rss_peak_kb': rss_peak, 'rss_after_kb': rss_idle, 'unacked_after_half_second': tail})
    return p


def e2e(a, bt, n):
    for i in range(50):
        bt.add.delay(i, i).get(timeout=30)
    c0, t0 = time.process_time(), time.perf_counter()
    results = [bt.add.apply_async((i, i)) for i in range(n)]
    t_sent = time.perf_counter()
    for i, res in enumerate(results):
        assert res.get(timeout=120) == 2 * i
    t1, c1 = time.perf_counter(), time.process_time()
    emit({'test': 'e2e-add', 'kind': a.kind, 'backend': a.backend, 'n': n, 'seconds': t1 - t0, 'rate': n / (t1 - t0),
          'send_seconds': t_sent - t0, 'producer_cpu_us': (c1 - c0) / n * 1e6})


def roundtrip(a, bt, n):
    for _ in range(100):
        bt.add.delay(2, 2).get(timeout=30)
    lat = []
    c0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        assert bt.add.delay(2, 2).get(timeout=30) == 4
        lat.append(time.perf_counter() - t)
    c1 = time.process_time()
    lat.sort()
    q = statistics.quantiles(lat, n=100, method='inclusive')
    emit({'test': 'roundtrip', 'kind': a.kind, 'backend': a.backend, 'n': n, 'p50_ms': q[49] * 1e3, 'p90_ms': q[89] * 1e3,
          'p99_ms': q[98] * 1e3, 'max_ms': lat[-1] * 1e3, 'mean_ms': statistics.fmean(lat) * 1e3,
          'client_cpu_us': (c1 - c0) / n * 1e6})


def swift_client_roundtrip(a, n):
    """The same round trips from Celeriac's Swift client (celeriac-bench client), against the same worker."""
    out = subprocess.run([a.swift_client_bin, 'client', '-b', a.url, '--result-backend', a.backend, '--roundtrip', str(n), '--kind', a.kind],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        log('swift client failed:', out.stderr[-2000:])
        return
    for line in out.stdout.splitlines():
        if line.startswith('{'):
            emit(json.loads(line))


def cmd_worker(a):
    bt = celery_app(a)
    conn = connect(a.url)
    # 1. noop drain, acks_late off
    p = drain(a, conn, bt, 'noop', (), a.drain_n, False)
    stop_worker(p)
    # 2. noop drain, acks_late on; the same worker then serves e2e and round trips (results over the backend)
    p = drain(a, conn, bt, 'noop', (), a.drain_n, True)
    try:
        if a.e2e_n:
            e2e(a, bt, a.e2e_n)
        if a.rtt_n:
            roundtrip(a, bt, a.rtt_n)
            if a.swift_client_bin:
                swift_client_roundtrip(a, a.rtt_n)
        time.sleep(1)
        emit({'test': 'rss-idle', 'kind': a.kind, 'rss_kb': rss_kb(p.pid), 'processes': len(descendants(p.pid))})
    finally:
        stop_worker(p)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    pp = sub.add_parser('publish')
    pp.add_argument('--url', required=True)
    pp.add_argument('-n', type=int, default=5000)
    pp.add_argument('--confirm', action='store_true')
    wp = sub.add_parser('worker')
    wp.add_argument('--url', required=True)
    wp.add_argument('--backend', default='rpc://')
    wp.add_argument('--broker-pid', type=int, required=True)
    wp.add_argument('--ctl', required=True, help='a rabbitmqctl wrapper for the private node')
    wp.add_argument('--kind', required=True, choices=['swift', 'swift-pf16', 'prefork', 'threads', 'solo'])
    wp.add_argument('--swift-bin')
    wp.add_argument('--swift-client-bin', help='celeriac-bench, for round trips from the Swift client too')
    wp.add_argument('--drain-n', type=int, default=20000)
    wp.add_argument('--e2e-n', type=int, default=0)
    wp.add_argument('--rtt-n', type=int, default=1000)
    wp.add_argument('--timeout', type=float, default=180)
    wp.add_argument('--logdir', default='/tmp')
    a = ap.parse_args()
    {'publish': cmd_publish, 'worker': cmd_worker}[a.cmd](a)


if __name__ == '__main__':
    main()
