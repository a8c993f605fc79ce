"""Turns bench.py's JSON lines into the markdown report (medians over rounds)."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith('{')]
by = defaultdict(list)
for r in rows:
    by[(r['test'], r.get('kind'), r.get('acks_late'))].append(r)


def med(test, kind, field, acks=None):
    vals = [r[field] for r in by.get((test, kind, acks), []) if r.get(field) is not None]
    return statistics.median(vals) if vals else None


def f(v, fmt='{:,.0f}'):
    return '—' if v is None else fmt.format(v)


machine = next((r for r in rows if r['test'] == 'machine'), {})
print(f"Machine: {machine.get('cpus')} CPUs ({machine.get('cpu')}), Linux {machine.get('kernel')}, "
      f"load before the run {machine.get('load')}; redis-server {machine.get('redis')} (private, no persistence); "
      f"{machine.get('swift')}; Celery/kombu/redis-py {machine.get('celery')} on Python {machine.get('python')}.")
rounds = len([r for r in rows if r['test'] == 'publish' and r.get('producer') == 'python-celery'])
print(f"Rounds: {rounds} (medians shown).\n")

kinds = [k for k in ['swift', 'swift-pf16', 'prefork', 'threads', 'solo'] if ('drain-noop', k, True) in by]
names = {'swift': 'Celeriac, 1 process, -c 8', 'swift-pf16': 'Celeriac, -c 8, prefetch ×16',
         'prefork': 'Celery prefork -c 2', 'threads': 'Celery threads -c 8', 'solo': 'Celery solo'}

print('| worker | drain noop, acks_late off (tasks/s) | drain noop, acks_late on (tasks/s) | drain add + Redis result, acks_late on (tasks/s) '
      '| end to end add + get(), Python producer (tasks/s) | round trip p50 / p99, Python client (ms) | worker share of the round trip, LPUSH to PUBLISH, p50 / p99 (ms) | worker CPU per noop, acks_late on (µs) '
      '| Redis CPU per noop, acks_late on (µs) | RSS idle / peak in drain (MB) |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for k in kinds:
    print(f"| {names[k]} | {f(med('drain-noop', k, 'rate', False))} | {f(med('drain-noop', k, 'rate', True))} "
          f"| {f(med('drain-add', k, 'rate', True))} | {f(med('e2e-add', k, 'rate'))} "
          f"| {f(med('roundtrip', k, 'p50_ms'), '{:.2f}')} / {f(med('roundtrip', k, 'p99_ms'), '{:.2f}')} "
          f"| {f(med('roundtrip', k, 'worker_side_p50_ms'), '{:.2f}')} / {f(med('roundtrip', k, 'worker_side_p99_ms'), '{:.2f}')} "
          f"| {f(med('drain-noop', k, 'worker_cpu_us', True))} | {f(med('drain-noop', k, 'redis_cpu_us', True))} "
          f"| {f((med('rss-idle', k, 'rss_kb') or 0) / 1024)} / {f((med('drain-noop', k, 'rss_peak_kb', True) or 0) / 1024)} |")

pub = med('publish', None, 'rate')
print(f"\nPublish, Python Celery producer, `apply_async(ignore_result=True)` of tasks.noop: {f(pub)} msgs/s "
      f"({f(med('publish', None, 'producer_cpu_us'))} µs producer CPU per message).")
swift_pub = [r['rate'] for r in rows if r['test'] == 'publish' and r.get('producer') == 'swift']
swift_pub8 = [r['rate'] for r in rows if r['test'] == 'publish' and str(r.get('producer', '')).startswith('swift-x')]
if swift_pub:
    line = f"Publish, Celeriac's Swift client (`send(name:)`, ignore_result), one producer: {f(statistics.median(swift_pub))} msgs/s"
    if swift_pub8:
        line += f"; 8 concurrent producers in one process: {f(statistics.median(swift_pub8))} msgs/s"
    if pub:
        line += f" ({statistics.median(swift_pub) / pub:.1f}× Python's single producer)"
    print(line + '.')
client_kinds = [k for k in kinds if ('roundtrip-swift-client', k, None) in by]
if client_kinds:
    print('\nRound trip from the Swift client (sequential `send(name: "tasks.add").get()`), p50 / p99 (ms): ' +
          '; '.join(f"{names[k]} {f(med('roundtrip-swift-client', k, 'p50_ms'), '{:.2f}')} / "
                    f"{f(med('roundtrip-swift-client', k, 'p99_ms'), '{:.2f}')}" for k in client_kinds) + '.')

celery = [k for k in kinds if not k.startswith('swift')]
if 'swift' in kinds and celery:
    print('\nRatios, Celeriac ÷ best Celery pool of the same run:')
    for test, acks, label in [('drain-noop', False, 'drain noop, acks_late off'), ('drain-noop', True, 'drain noop, acks_late on'),
                              ('drain-add', True, 'drain add with results'), ('e2e-add', None, 'end to end (Python producer)')]:
        s = med(test, 'swift', 'rate', acks)
        best = max(((med(test, k, 'rate', acks) or 0), k) for k in celery)
        if s and best[0]:
            print(f"- {label}: {s / best[0]:.1f}× ({f(s)} vs {f(best[0])}, {best[1]})")
    s = med('roundtrip', 'swift', 'p50_ms')
    best = min(((med('roundtrip', k, 'p50_ms') or 1e9), k) for k in celery)
    if s:
        print(f"- round trip p50 (Python client): {best[0] / s:.1f}× lower ({s:.2f} ms vs {best[0]:.2f} ms, {best[1]})")
    s = med('roundtrip', 'swift', 'worker_side_p50_ms')
    best = min(((med('roundtrip', k, 'worker_side_p50_ms') or 1e9), k) for k in celery)
    if s:
        print(f"- worker's share of the round trip p50: {best[0] / s:.1f}× lower ({s:.3f} ms vs {best[0]:.3f} ms, {best[1]})")
    print(f"- Python client CPU per round trip: {f(med('roundtrip', 'swift', 'client_cpu_us'))} µs (against Celeriac)")

print('\nredis-benchmark on the same server (-c 50, -n 200000), requests/s:')
print('\n| command | unpipelined | pipelined -P 16 |')
print('|---|---:|---:|')
for cmd in sorted({r['command'] for r in rows if r['test'] == 'redis-benchmark'}):
    v = {r['pipeline']: r['rps'] for r in rows if r['test'] == 'redis-benchmark' and r['command'] == cmd}
    print(f"| {cmd} | {f(v.get(1))} | {f(v.get(16))} |")

print('\nRedis commands per task (INFO commandstats ÷ tasks, the drain with acks_late on; commands run inside '
      'Lua scripts are counted too, and the rows include the worker\'s start-up):\n')
for test in ['drain-noop', 'drain-add']:
    for k in kinds:
        rs = by.get((test, k, True), [])
        if rs:
            cmds = {c: v for c, v in rs[-1]['commands_per_task'].items() if v >= 0.01}
            print(f"- {test}, {names[k]}: " + ', '.join(f'{c} {v:g}' for c, v in cmds.items()))
print('\nUtilisation during the drain (acks_late on), CPU seconds per wall second:')
for k in kinds:
    print(f"- {names[k]}: worker {f(med('drain-noop', k, 'worker_cpu_util', True), '{:.2f}')}, "
          f"redis-server {f(med('drain-noop', k, 'redis_cpu_util', True), '{:.2f}')}")
