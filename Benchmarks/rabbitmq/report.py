"""Turns the RabbitMQ bench's JSON lines into the markdown report (medians over rounds)."""
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


def pub(producer):
    vals = [r['rate'] for r in rows if r['test'] == 'publish' and r.get('producer') == producer]
    return statistics.median(vals) if vals else None


def f(v, fmt='{:,.0f}'):
    return '—' if v is None else fmt.format(v)


machine = next((r for r in rows if r['test'] == 'machine'), {})
print(f"Machine: {machine.get('cpus')} CPUs ({machine.get('cpu')}), Linux {machine.get('kernel')}, "
      f"load before the run {machine.get('load')}; RabbitMQ {machine.get('rabbitmq')} (private node, no plugins); "
      f"{machine.get('swift')}; Celery/kombu/py-amqp {machine.get('celery')} on Python {machine.get('python')}; "
      f"results over {machine.get('backend')}.")
rounds = len([r for r in rows if r['test'] == 'publish' and r.get('producer') == 'python-celery'])
print(f"Rounds: {rounds} (medians shown).\n")

kinds = [k for k in ['swift', 'swift-pf16', 'prefork', 'threads', 'solo'] if ('drain-noop', k, True) in by]
names = {'swift': 'Celeriac, 1 process, -c 8', 'swift-pf16': 'Celeriac, -c 8, prefetch ×16', 'prefork': 'Celery prefork -c 2', 'threads': 'Celery threads -c 8',
         'solo': 'Celery solo'}

print('| worker | drain noop, acks_late off (tasks/s) | drain noop, acks_late on (tasks/s) '
      '| end to end add + get() over rpc, Python producer (tasks/s) | round trip p50 / p99, Python client (ms) '
      '| round trip p50 / p99, Swift client (ms) | worker CPU per noop, acks_late on (µs) '
      '| RabbitMQ CPU per noop, acks_late on (µs) | RSS idle / peak in drain (MB) |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for k in kinds:
    print(f"| {names[k]} | {f(med('drain-noop', k, 'rate', False))} | {f(med('drain-noop', k, 'rate', True))} "
          f"| {f(med('e2e-add', k, 'rate'))} "
          f"| {f(med('roundtrip', k, 'p50_ms'), '{:.2f}')} / {f(med('roundtrip', k, 'p99_ms'), '{:.2f}')} "
          f"| {f(med('roundtrip-swift-client', k, 'p50_ms'), '{:.2f}')} / {f(med('roundtrip-swift-client', k, 'p99_ms'), '{:.2f}')} "
          f"| {f(med('drain-noop', k, 'worker_cpu_us', True))} | {f(med('drain-noop', k, 'broker_cpu_us', True))} "
          f"| {f((med('rss-idle', k, 'rss_kb') or 0) / 1024)} / {f((med('drain-noop', k, 'rss_peak_kb', True) or 0) / 1024)} |")

print('\nPublish rates (messages/s; "confirms" = each message confirmed by RabbitMQ before it counts):\n')
print('| publisher | no confirms | confirms |')
print('|---|---:|---:|')
for label, plain, confirmed in [
        ('plain AMQP publisher (CeleriacAMQP, 512 in flight): the broker\'s limit', 'amqp-raw', 'amqp-raw-confirms'),
        ('Celeriac client, one producer (`send(name:)`, sequential)', 'swift-client', 'swift-client-confirms'),
        ('Celeriac client, 8 concurrent producers, one connection', 'swift-client-x8', 'swift-client-x8-confirms'),
        ('Celeriac client, 64 concurrent producers, one connection', 'swift-client-x64', 'swift-client-x64-confirms'),
        ('Celeriac client, 256 concurrent producers, one connection', 'swift-client-x256', 'swift-client-x256-confirms'),
        ('Python Celery `apply_async` (`confirm_publish` off / on)', 'python-celery', 'python-celery-confirms')]:
    print(f"| {label} | {f(pub(plain))} | {f(pub(confirmed))} |")

celery = [k for k in kinds if not k.startswith('swift')]
if 'swift' in kinds and celery:
    print('\nRatios, Celeriac ÷ best Celery pool of the same run:')
    for test, acks, label in [('drain-noop', False, 'drain noop, acks_late off'), ('drain-noop', True, 'drain noop, acks_late on'),
                              ('e2e-add', None, 'end to end over rpc (Python producer)')]:
        s = med(test, 'swift', 'rate', acks)
        best = max(((med(test, k, 'rate', acks) or 0), k) for k in celery)
        if s and best[0]:
            print(f"- {label}: {s / best[0]:.1f}× ({f(s)} vs {f(best[0])}, {best[1]})")
    s = med('roundtrip', 'swift', 'p50_ms')
    best = min(((med('roundtrip', k, 'p50_ms') or 1e9), k) for k in celery)
    if s and best[0] < 1e9:
        print(f"- round trip p50 (Python client): {best[0] / s:.1f}× lower ({s:.2f} ms vs {best[0]:.2f} ms, {best[1]})")
    s = (med('rss-idle', 'swift', 'rss_kb') or 0) / 1024
    best = min(((med('rss-idle', k, 'rss_kb') or 1e12) / 1024, k) for k in celery)
    if s and best[0] < 1e9:
        print(f"- idle RSS: {best[0] / s:.1f}× smaller ({s:.0f} MB vs {best[0]:.0f} MB, {best[1]})")
raw = pub('amqp-raw-confirms')
swift_confirmed = pub('swift-client-x256-confirms') or pub('swift-client-x64-confirms') or pub('swift-client-x8-confirms')
for label in ['swift-client-x8-confirms', 'swift-client-x64-confirms', 'swift-client-x256-confirms']:
    if raw and pub(label):
        print(f"- Celeriac publish with confirms ({label.split('-x')[1].split('-')[0]} producers) vs the plain publisher with confirms: "
              f"{pub(label) / raw:.2f} of the broker's limit (factor {raw / pub(label):.1f})")
py_confirmed = pub('python-celery-confirms')
if py_confirmed and swift_confirmed:
    print(f"- Celeriac vs Celery publish with confirms: {swift_confirmed / py_confirmed:.1f}×")

print('\nUtilisation during the drain (acks_late on), CPU seconds per wall second:')
for k in kinds:
    print(f"- {names[k]}: worker {f(med('drain-noop', k, 'worker_cpu_util', True), '{:.2f}')}, "
          f"RabbitMQ {f(med('drain-noop', k, 'broker_cpu_util', True), '{:.2f}')}")
