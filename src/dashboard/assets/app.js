// The dashboard page: polls /api/state every few seconds and fills the page. Text only goes in
// through textContent (a ticker or an error text can never become markup). Money arrives as the
// server's exact strings; only the charts use floats.
"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const $ = (id) => document.getElementById(id);
  const q = (tid) => document.querySelector('[data-testid="' + tid + '"]');
  const set = (tid, text) => { q(tid).textContent = text; };
  const money = (s) => (s == null ? "–" : (s.startsWith("-") ? "-$" + s.slice(1) : "$" + s));
  const signed = (el, s) => { el.className = "num" + (s.startsWith("-") ? " neg" : s === "0.00" ? "" : " pos"); };
  const fmtCount = (n) => (n / 100).toFixed(2);
  const fmtPrice = (p) => (p / 10000).toFixed(4);
  const fmtMicros = (m) => { const neg = m < 0; const c = Math.trunc(Math.abs(m) / 10000); return (neg && c ? "-" : "") + Math.floor(c / 100) + "." + String(c % 100).padStart(2, "0"); };

  function rows(tbody, items, cells) {
    const el = $(tbody);
    el.replaceChildren();
    for (const it of items) {
      const tr = document.createElement("tr");
      for (const c of cells(it)) {
        const td = document.createElement("td");
        const [text, cls] = Array.isArray(c) ? c : [c, ""];
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      el.appendChild(tr);
    }
    if (!items.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 8;
      td.className = "muted";
      td.textContent = "none";
      tr.appendChild(td);
      el.appendChild(tr);
    }
  }

  const charts = {};
  function chart(id, title, series, data, fmt) {
    const el = $(id);
    const width = Math.max(280, el.clientWidth || el.parentElement.clientWidth - 32);
    if (!charts[id]) {
      charts[id] = new uPlot({
        width, height: 220, title,
        series: [{}, { label: series, stroke: "#2f6fdf", width: 2, fill: "rgba(47,111,223,0.08)", value: (u, v) => (v == null ? "–" : fmt(v)) }],
        axes: [{}, { size: 90, values: (u, vals) => vals.map(fmt) }],
      }, data, el);
    } else {
      charts[id].setSize({ width, height: 220 });
      charts[id].setData(data);
    }
    // One point (a first cycle): an hour either side rather than uPlot's default of years.
    const xs = data[0];
    if (xs.length === 1) charts[id].setScale("x", { min: xs[0] - 3600, max: xs[0] + 3600 });
  }

  // The bot's heartbeat counters in one line: the share of each bucket's budget spent over the last
  // minute (or cycle), then the waits, 429s and WebSocket trouble since the bot started.
  function rateLimitText(c) {
    if (!c) return "not recorded by the bot yet";
    const pct = (x) => (x * 100).toFixed(1) + "%";
    const use =
      c.read_use != null && c.write_use != null
        ? "read " + pct(c.read_use) + " of " + c.read_budget_per_second + "/s, write " + pct(c.write_use) + " of " + c.write_budget_per_second + "/s over " + Math.round(c.use_window_seconds) + " s"
        : "use not measured yet";
    return use + " · " + c.rate_limit_waits + " waits (" + c.rate_limit_wait_seconds.toFixed(1) + " s) · " + c.rate_limited_429 + " × 429 · WebSocket: " + c.ws_reconnects + " reconnects, " + c.ws_seq_gaps + " seq gaps";
  }

  function render(s) {
    const st = s.status;
    const hb = st.heartbeat.data;
    const badge = $("status");
    badge.textContent = hb ? hb.status : "no heartbeat";
    badge.className = "badge " + (hb ? hb.status : "");
    set("summary", hb ? "PID " + hb.pid + " · " + hb.mode + " · " + hb.environment + (hb.dry_run ? " · dry-run" : " · LIVE") + " · v" + hb.version : (st.heartbeat.error || ""));
    set("updated", "page updated " + s.generated_at.replace(/\.\d{3}Z$/, "Z"));
    const verdict = st.heartbeat.verdict;
    set("health", verdict ? (verdict.healthy ? "healthy" : "UNHEALTHY: " + verdict.reason) : "–");
    set("cycle", hb ? String(hb.cycle) + " (every " + hb.cycle_interval_seconds + " s)" : "–");
    set("heartbeat-at", hb ? hb.updated_at : "–");
    set("next-cycle", hb && hb.next_cycle_at ? hb.next_cycle_at : "–");
    set("kill-switch", (hb && hb.kill_switch ? "ON" : "off") + (st.pause.active ? " (paused: " + (st.pause.reason || "pause file") + ")" : ""));
    set("last-error", hb && hb.last_error ? hb.last_error : "none");
    const b = hb && hb.bankroll;
    set("bankroll-total", b ? money(b.total_dollars) : st.balance ? money(st.balance.cash_dollars) + " cash" : "–");
    set("bankroll-cash", b ? money(b.cash_dollars) : st.balance ? money(st.balance.cash_dollars) : "–");
    set("bankroll-portfolio", b ? money(b.portfolio_value_dollars) : st.balance ? money(st.balance.portfolio_value_dollars) : "–");
    set("ledger", st.ledger + (st.database.error ? " — " + st.database.error : ""));
    if (st.today) {
      set("today-title", "Today (" + st.today.date + ", " + st.today.timezone + ")");
      set("today-fills", String(st.today.fills));
      set("today-fees", money(st.today.fees_dollars));
      set("today-realized", money(st.today.realized_pnl_dollars));
      set("today-settlements", String(st.today.settlements));
    }
    if (st.totals) {
      set("total-realized", money(st.totals.realized_pnl_dollars));
      set("total-fees", money(st.totals.fees_dollars));
    }
    set("positions-count", String(st.positions.length));
    rows("positions", st.positions, (p) => [p.ticker, [fmtCount(p.position), "num"], [money(fmtMicros(p.cost_micros)), "num"], [money(fmtMicros(p.realized_pnl_micros)), "num"], [money(fmtMicros(p.fees_micros)), "num"]]);
    set("orders-count", String(st.open_orders.length));
    rows("orders", st.open_orders, (o) => [o.ticker, o.side, [fmtCount(o.remaining_count) + " / " + fmtCount(o.count), "num"], [fmtPrice(o.price), "num"], o.status, o.strategy || ""]);
    rows("fills", s.fills, (f) => [f.time.replace("T", " ").replace(/\.\d{3}Z$/, ""), f.ticker, f.side === "bid" ? "YES" : "NO", [f.count, "num"], [f.price, "num"], [money(f.fee_dollars), "num"], [money(f.cash_dollars), "num"]]);
    $("tz").textContent = s.timezone;
    rows("daily", s.daily.slice().reverse(), (d) => [d.day, [String(d.fills), "num"], [money(d.fees_dollars), "num"], [money(d.realized_pnl_dollars), d.realized_pnl_dollars.startsWith("-") ? "num neg" : "num"], [money(d.net_cash_dollars), "num"]]);
    const eq = s.equity;
    $("equity-empty").style.display = eq.length ? "none" : "";
    if (eq.length) chart("equity", "Bankroll (cash + positions)", "bankroll $", [eq.map((p) => p[0]), eq.map((p) => p[1])], (v) => "$" + v.toFixed(2));
    const cy = s.cycles.filter((c) => c.duration_seconds != null);
    if (cy.length) chart("cycles", "Cycle duration", "seconds", [cy.map((c) => Date.parse(c.started_at) / 1000), cy.map((c) => c.duration_seconds)], (v) => v.toFixed(2) + " s");
    const last = s.cycles[s.cycles.length - 1];
    set("last-cycle", last ? "#" + last.id + " " + last.status + ", " + (last.duration_seconds == null ? "running" : last.duration_seconds.toFixed(2) + " s") + ", " + last.orders_placed + " order(s)" : "none yet");
    const rl = s.rate_limit;
    const rlEl = q("rate-limit");
    rlEl.textContent = rateLimitText(rl);
    rlEl.className = rl ? "" : "muted";
    document.body.dataset.loaded = "1";
  }

  async function tick() {
    try {
      const r = await fetch("/api/state", { headers, cache: "no-store" });
      if (!r.ok) throw new Error(r.status === 401 ? "token required: open the page as /?token=YOUR_TOKEN" : "HTTP " + r.status + ": " + (await r.text()));
      render(await r.json());
      $("error").style.display = "none";
    } catch (e) {
      $("error").textContent = "Cannot load the bot's state: " + e.message;
      $("error").style.display = "block";
    }
  }
  tick();
  setInterval(tick, 5000);
})();
