import Celeriac

/// The dashboard's page: HTML, script and style as string constants, so the dashboard needs no build step,
/// no files and no network beyond itself (it works offline; charts are drawn by hand in SVG).
///
/// The only values put into the HTML on the server are the CSRF token (hex) and the broker's address (with
/// its password masked), both HTML-escaped; the script writes every task field with `textContent`, never
/// as HTML, so task arguments and results cannot inject markup.
public enum DashboardPage {
    /// The page for a configuration.
    public static func html(configuration: DashboardConfiguration) -> String {
        let token = DashboardSecurity.escapeHTML(configuration.csrfToken)
        let broker = DashboardSecurity.escapeHTML(DashboardSecurity.maskPassword(configuration.brokerDescription))
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(token)">
            <title>Celeriac dashboard</title>
            <link rel="stylesheet" href="/app.css">
            </head>
            <body>
            <header>
            <h1>Celeriac</h1>
            <span id="broker" title="broker">\(broker)</span>
            <span id="live" class="status">connecting</span>
            </header>
            <main>
            <div class="row">
            <section id="workers-section" class="card">
            <h2>Workers</h2>
            <table id="workers"><thead><tr><th>Worker</th><th>Status</th><th>Load (1/5/15 min)</th><th>Processed</th><th>Active</th><th>Pool</th><th>Software</th></tr></thead><tbody></tbody></table>
            <p class="empty" id="workers-empty">No worker has sent an event yet.</p>
            </section>
            <section id="queues-section" class="card">
            <h2>Queues</h2>
            <table id="queues"><thead><tr><th>Queue</th><th>Ready</th><th>Unacked</th><th>By priority</th><th></th></tr></thead><tbody></tbody></table>
            <p class="empty" id="queues-empty">No queue is bound on the broker.</p>
            </section>
            </div>
            <div class="row">
            <section id="charts-section" class="card wide">
            <h2>Finished tasks per 10 s (last 10 minutes)</h2>
            <svg id="chart" viewBox="0 0 600 150" preserveAspectRatio="none" role="img" aria-label="succeeded and failed tasks per 10 seconds"></svg>
            <div class="axis-labels"><span id="chart-start"></span><span id="chart-max"></span><span id="chart-end"></span></div>
            <div class="legend"><span class="ok">succeeded</span> <span class="bad">failed</span> <span id="states"></span></div>
            </section>
            </div>
            <section id="tasks-section" class="card">
            <h2>Tasks</h2>
            <div class="filters">
            <label>State <select id="filter-state"><option value="">all</option><option>PENDING</option><option>RECEIVED</option><option>STARTED</option><option>SUCCESS</option><option>FAILURE</option><option>RETRY</option><option>REVOKED</option><option>REJECTED</option></select></label>
            <label>Name <input id="filter-name" type="search" placeholder="tasks.add"></label>
            <label>Worker <select id="filter-worker"><option value="">all</option></select></label>
            </div>
            <table id="tasks"><thead><tr><th>Task id</th><th>Name</th><th>State</th><th>Args</th><th>Kwargs</th><th>Result</th><th>Worker</th><th>Received</th><th>Runtime</th></tr></thead><tbody></tbody></table>
            <p class="empty" id="tasks-empty">No task yet.</p>
            </section>
            <aside id="detail" class="card" hidden></aside>
            <div id="toast" role="status" aria-live="polite"></div>
            </main>
            <script src="/app.js"></script>
            </body>
            </html>

            """
    }

    /// The page's style.
    public static let style = #"""
        :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --muted: #6b7280; --line: #e3e6eb; --ok: #2f9e44; --bad: #e03131; --warn: #f08c00; --info: #1c7ed6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
        header { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #1d2330; color: #fff; }
        header h1 { margin: 0; font-size: 20px; }
        #broker { color: #c5cad3; font-family: ui-monospace, monospace; font-size: 12px; }
        .status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #495057; }
        .status.on { background: var(--ok); }
        .status.off { background: var(--bad); }
        main { padding: 12px 20px; }
        .row { display: flex; gap: 12px; flex-wrap: wrap; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin-bottom: 12px; flex: 1 1 420px; min-width: 0; }
        .card.wide { flex-basis: 100%; }
        h2 { font-size: 15px; margin: 0 0 8px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; font-size: 13px; }
        th { color: var(--muted); font-weight: 600; font-size: 12px; }
        td.mono, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
        td.clip { max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        #tasks tbody tr { cursor: pointer; }
        #tasks tbody tr:hover { background: #eef3fb; }
        #tasks tbody tr.selected { background: #dbe7fb; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 11px; font-weight: 700; color: #fff; background: #868e96; }
        .badge.SUCCESS, .badge.alive { background: var(--ok); }
        .badge.FAILURE, .badge.REVOKED, .badge.REJECTED, .badge.offline { background: var(--bad); }
        .badge.STARTED { background: var(--info); }
        .badge.RETRY { background: var(--warn); }
        .badge.RECEIVED, .badge.PENDING { background: #748ffc; }
        .filters { display: flex; gap: 14px; margin-bottom: 8px; flex-wrap: wrap; }
        .filters label { color: var(--muted); font-size: 12px; }
        input, select, button { font: inherit; }
        button { border: 1px solid var(--line); background: #fff; border-radius: 5px; padding: 2px 10px; cursor: pointer; }
        button.danger { color: var(--bad); border-color: #f3b5b5; }
        button.primary { color: #fff; background: var(--info); border-color: var(--info); }
        .empty { color: var(--muted); margin: 6px 0 0; }
        #chart { width: 100%; height: 150px; background: #fbfcfd; border: 1px solid var(--line); border-radius: 4px; }
        #chart .ok { fill: var(--ok); } #chart .bad { fill: var(--bad); } #chart .axis { stroke: var(--line); }
        .axis-labels { display: flex; justify-content: space-between; font-size: 11px; color: var(--muted); }
        .legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
        .legend .ok::before, .legend .bad::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
        .legend .ok::before { background: var(--ok); } .legend .bad::before { background: var(--bad); }
        #states { margin-left: 16px; }
        #detail { position: fixed; top: 60px; right: 20px; width: min(560px, 90vw); max-height: calc(100vh - 80px); overflow: auto; box-shadow: 0 8px 30px rgba(0,0,0,.15); }
        #detail dl { display: grid; grid-template-columns: 110px 1fr; gap: 4px 10px; margin: 8px 0; }
        #detail dt { color: var(--muted); }
        #detail dd { margin: 0; font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; white-space: pre-wrap; }
        #detail pre { background: #1d2330; color: #e9ecef; padding: 8px; border-radius: 4px; overflow: auto; font-size: 11px; max-height: 260px; }
        #detail .actions { display: flex; gap: 8px; margin: 8px 0; }
        #detail ol { padding-left: 18px; font-size: 12px; }
        .close { float: right; }
        #toast { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); background: #1d2330; color: #fff; padding: 6px 14px; border-radius: 6px; opacity: 0; transition: opacity .2s; pointer-events: none; }
        #toast.show { opacity: 1; }
        #toast.error { background: var(--bad); }
        """#
}
