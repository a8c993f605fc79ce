extension DashboardPage {
    /// The page's script: vanilla JavaScript, no libraries. It polls `/api/overview` every 3 s, keeps the task
    /// list live from `/api/stream` (server-sent events), and writes every value with `textContent`.
    public static let script = #"""
        'use strict';
        (() => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const tasks = new Map();
          const workers = new Map();
          let selected = null;
          let renderPending = false;
          const $ = (id) => document.getElementById(id);

          function el(tag, props, ...children) {
            const node = document.createElement(tag);
            for (const [key, value] of Object.entries(props || {})) {
              if (value === undefined || value === null) continue;
              if (key === 'class') node.className = value;
              else if (key === 'text') node.textContent = value;
              else if (key === 'onclick') node.addEventListener('click', value);
              else node.setAttribute(key, String(value));
            }
            for (const child of children) {
              if (child === undefined || child === null) continue;
              node.append(child instanceof Node ? child : document.createTextNode(String(child)));
            }
            return node;
          }
          const badge = (text) => el('span', { class: 'badge ' + text, text });
          const time = (ts) => ts ? new Date(ts * 1000).toLocaleTimeString() : '';
          const seconds = (value) => value === null || value === undefined ? '' : value.toFixed(3) + ' s';

          function toast(text, error) {
            const box = $('toast');
            box.textContent = text;
            box.className = 'show' + (error ? ' error' : '');
            clearTimeout(toast.timer);
            toast.timer = setTimeout(() => { box.className = ''; }, 4000);
          }

          async function api(path, options) {
            const init = Object.assign({ credentials: 'same-origin', headers: {} }, options || {});
            if (init.method === 'POST') init.headers['X-CSRF-Token'] = csrf;
            const response = await fetch(path, init);
            const type = response.headers.get('content-type') || '';
            const body = type.includes('json') ? await response.json() : { error: await response.text() };
            if (!response.ok) throw new Error(body.error || response.statusText);
            return body;
          }

          // Workers, queues, chart.
          function renderWorkers() {
            const body = $('workers').tBodies[0];
            body.replaceChildren();
            const list = [...workers.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
            for (const worker of list) {
              const load = (worker.loadavg || []).map((v) => v.toFixed(2)).join(' / ');
              body.append(el('tr', { 'data-worker': worker.hostname },
                el('td', { class: 'mono', text: worker.hostname }),
                el('td', {}, badge(worker.alive ? 'alive' : 'offline')),
                el('td', { text: load }),
                el('td', { text: worker.processed }),
                el('td', { text: worker.active, title: (worker.active_tasks || []).map((t) => t.name + ' ' + t.id).join('\n') }),
                el('td', { text: worker.concurrency || '' }),
                el('td', { text: [worker.sw_ident, worker.sw_ver].filter(Boolean).join(' ') })));
            }
            $('workers-empty').hidden = list.length > 0;
            const filter = $('filter-worker');
            const current = filter.value;
            const names = list.map((w) => w.hostname);
            const existing = [...filter.options].slice(1).map((o) => o.value);
            if (names.join('\n') !== existing.join('\n')) {
              filter.replaceChildren(el('option', { value: '', text: 'all' }), ...names.map((n) => el('option', { value: n, text: n })));
              filter.value = names.includes(current) ? current : '';
            }
          }

          function renderQueues(queues) {
            const body = $('queues').tBodies[0];
            body.replaceChildren();
            if (!Array.isArray(queues)) {
              body.append(el('tr', {}, el('td', { colspan: 5, text: 'broker error: ' + (queues && queues.error) })));
              return;
            }
            for (const queue of queues) {
              const steps = Object.entries(queue.priorities || {}).map(([p, n]) => 'p' + p + ': ' + n).join('  ');
              body.append(el('tr', { 'data-queue': queue.name },
                el('td', { class: 'mono', text: queue.name }),
                el('td', { text: queue.ready }),
                el('td', { text: queue.unacked }),
                el('td', { class: 'mono', text: steps }),
                el('td', {}, el('button', { class: 'danger', text: 'Purge', onclick: () => purge(queue.name) }))));
            }
            $('queues-empty').hidden = queues.length > 0;
          }

          function renderChart(buckets) {
            const svg = $('chart');
            const ns = 'http://www.w3.org/2000/svg';
            const shape = (tag, attrs, text) => {
              const node = document.createElementNS(ns, tag);
              for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
              if (text !== undefined) node.textContent = text;
              return node;
            };
            svg.replaceChildren();
            const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
            const width = 600 / Math.max(1, buckets.length);
            const height = 130;
            svg.append(shape('line', { x1: 0, y1: height, x2: 600, y2: height, class: 'axis' }));
            buckets.forEach((bucket, index) => {
              const ok = (bucket.succeeded / max) * (height - 10);
              const bad = (bucket.failed / max) * (height - 10);
              const x = index * width + 1;
              if (bucket.succeeded) svg.append(shape('rect', { x, y: height - ok, width: width - 2, height: ok, class: 'ok' }));
              if (bucket.failed) svg.append(shape('rect', { x, y: height - ok - bad, width: width - 2, height: bad, class: 'bad' }));
            });
            $('chart-max').textContent = 'max ' + max + ' per 10 s';
            $('chart-start').textContent = buckets.length ? time(buckets[0].start) : '';
            $('chart-end').textContent = buckets.length ? time(buckets[buckets.length - 1].start) : '';
          }

          async function refreshOverview() {
            try {
              const overview = await api('/api/overview');
              workers.clear();
              for (const worker of overview.workers) workers.set(worker.hostname, worker);
              renderWorkers();
              renderQueues(overview.queues);
              renderChart(overview.throughput);
              $('states').textContent = Object.entries(overview.states).map(([s, n]) => s + ' ' + n).join(' · ');
            } catch (error) {
              $('live').textContent = 'server unreachable';
              $('live').className = 'status off';
            }
          }

          // Tasks.
          function filters() {
            return { state: $('filter-state').value, name: $('filter-name').value.trim(), worker: $('filter-worker').value };
          }

          function matches(task, f) {
            return (!f.state || task.state === f.state)
              && (!f.name || (task.name || '').toLowerCase().includes(f.name.toLowerCase()))
              && (!f.worker || task.worker === f.worker);
          }

          function scheduleRender() {
            if (renderPending) return;
            renderPending = true;
            requestAnimationFrame(() => { renderPending = false; renderTasks(); });
          }

          function renderTasks() {
            const f = filters();
            const list = [...tasks.values()].filter((t) => matches(t, f)).sort((a, b) => b.updated - a.updated).slice(0, 300);
            const body = $('tasks').tBodies[0];
            body.replaceChildren();
            for (const task of list) {
              body.append(el('tr', { 'data-id': task.id, 'data-state': task.state, class: task.id === selected ? 'selected' : null, onclick: () => showDetail(task.id) },
                el('td', { class: 'mono', text: task.id.slice(0, 8), title: task.id }),
                el('td', { class: 'name', text: task.name || '?' }),
                el('td', { class: 'state' }, badge(task.state)),
                el('td', { class: 'mono clip args', text: task.args || '', title: task.args || '' }),
                el('td', { class: 'mono clip kwargs', text: task.kwargs || '', title: task.kwargs || '' }),
                el('td', { class: 'mono clip result', text: task.result || task.exception || '', title: task.result || task.exception || '' }),
                el('td', { class: 'mono', text: task.worker || '' }),
                el('td', { text: time(task.received) }),
                el('td', { text: seconds(task.runtime) })));
            }
            $('tasks-empty').hidden = list.length > 0;
          }

          async function loadTasks() {
            const f = filters();
            const query = new URLSearchParams({ limit: '300' });
            for (const [key, value] of Object.entries(f)) if (value) query.set(key, value);
            try {
              const reply = await api('/api/tasks?' + query);
              for (const task of reply.tasks) tasks.set(task.id, task);
              renderTasks();
            } catch (error) { toast('loading tasks failed: ' + error.message, true); }
          }

          async function showDetail(id) {
            selected = id;
            scheduleRender();
            let task;
            try { task = await api('/api/tasks/' + encodeURIComponent(id)); } catch (error) { toast(error.message, true); return; }
            if (selected !== id) return;
            const pane = $('detail');
            const field = (label, value, cls) => value === null || value === undefined || value === '' ? [] : [el('dt', { text: label }), el('dd', { class: cls, text: String(value) })];
            const link = (label, target) => target ? [el('dt', { text: label }), el('dd', {}, el('a', { href: '#', text: target, onclick: (e) => { e.preventDefault(); showDetail(target); } }))] : [];
            const timeline = el('ol', { class: 'timeline' }, ...(task.timeline || []).map((step) =>
              el('li', {}, time(step.timestamp) + ' ' + step.type + (step.hostname ? ' (' + step.hostname + ')' : ''))));
            const actions = el('div', { class: 'actions' },
              el('button', { id: 'retry-button', class: 'primary', text: 'Retry', title: 'send again with the same name, arguments and queue under a new id', onclick: () => retry(task.id) }),
              el('button', { id: 'revoke-button', class: 'danger', text: 'Revoke', onclick: () => revoke(task.id, false) }),
              el('button', { id: 'terminate-button', class: 'danger', text: 'Terminate', onclick: () => revoke(task.id, true) }));
            pane.replaceChildren(
              el('button', { class: 'close', text: '×', title: 'close', onclick: () => { pane.hidden = true; selected = null; scheduleRender(); } }),
              el('h2', { id: 'detail-name', text: task.name || 'unknown task' }),
              el('div', {}, badge(task.state), ' ', el('span', { class: 'mono', id: 'detail-id', text: task.id })),
              actions,
              el('dl', {},
                ...field('args', task.args, 'detail-args'), ...field('kwargs', task.kwargs, 'detail-kwargs'),
                ...field('result', task.result, 'detail-result'), ...field('exception', task.exception, 'detail-exception'),
                ...field('worker', task.worker), ...field('queue', task.queue), ...field('retries', task.retries),
                ...field('received', time(task.received)), ...field('started', time(task.started)),
                ...field('finished', time(task.finished)), ...field('runtime', seconds(task.runtime)),
                ...link('retried as', task.retried_as), ...link('retry of', task.retry_of),
                ...link('parent', task.parent_id), ...(task.root_id && task.root_id !== task.id ? link('root', task.root_id) : [])),
              ...(task.traceback ? [el('pre', { class: 'traceback', text: task.traceback })] : []),
              el('h2', { text: 'Timeline' }), timeline);
            pane.hidden = false;
          }

          async function retry(id) {
            try {
              const reply = await api('/api/tasks/' + encodeURIComponent(id) + '/retry', { method: 'POST' });
              toast('sent again as ' + reply.id + ' (arguments from the ' + reply.source + ')');
              showDetail(id);
            } catch (error) { toast('retry failed: ' + error.message, true); }
          }

          async function revoke(id, terminate) {
            if (!confirm((terminate ? 'Terminate' : 'Revoke') + ' task ' + id + '?')) return;
            try {
              await api('/api/tasks/' + encodeURIComponent(id) + '/revoke?terminate=' + terminate, { method: 'POST' });
              toast('revoked ' + id);
              showDetail(id);
            } catch (error) { toast('revoke failed: ' + error.message, true); }
          }

          async function purge(queue) {
            if (!confirm('Delete every waiting message of queue ' + queue + '?')) return;
            try {
              const reply = await api('/api/queues/' + encodeURIComponent(queue) + '/purge', { method: 'POST' });
              toast('purged ' + reply.purged + ' message(s) from ' + queue);
              refreshOverview();
            } catch (error) { toast('purge failed: ' + error.message, true); }
          }

          // Live updates.
          function connect() {
            const source = new EventSource('/api/stream');
            source.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'status on'; });
            source.addEventListener('error', () => { $('live').textContent = 'reconnecting'; $('live').className = 'status off'; });
            source.addEventListener('task', (event) => {
              const task = JSON.parse(event.data);
              tasks.set(task.id, task);
              scheduleRender();
              if (task.id === selected) showDetail(task.id);
            });
            source.addEventListener('worker', (event) => {
              const worker = JSON.parse(event.data);
              const known = workers.get(worker.hostname);
              if (known) worker.concurrency = worker.concurrency || known.concurrency;
              workers.set(worker.hostname, worker);
              renderWorkers();
            });
          }

          for (const id of ['filter-state', 'filter-worker']) $(id).addEventListener('change', () => { renderTasks(); loadTasks(); });
          $('filter-name').addEventListener('input', () => { renderTasks(); clearTimeout(loadTasks.timer); loadTasks.timer = setTimeout(loadTasks, 300); });
          connect();
          refreshOverview();
          loadTasks();
          setInterval(refreshOverview, 3000);
          setInterval(loadTasks, 15000);
        })();
        """#
}
