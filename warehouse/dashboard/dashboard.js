"use strict";
// Aggregates the embedded records per county/year; every figure shown carries data-* attributes so tests
// can compare it with SQL. State lives in the URL hash: #year=2021&county=330481&report=<id>.
(function () {
  const D = JSON.parse(document.getElementById("dq-data").textContent);
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const pct = (x) => (x == null ? "—" : (100 * x).toFixed(1) + "%");
  const SEV = { critical: "严重", warning: "警告", info: "提示" };
  const STATUS_OK = { ok: 1, uncertain: 1 };

  const reportsById = new Map(D.reports.map((r) => [r.id, r]));
  const unitByCode = new Map();
  D.prefectures.forEach((p) => p.units.forEach((u) => unitByCode.set(u.code, Object.assign({ prefecture: p.name }, u))));
  // Reports whose region is not a unit of the grid (prefecture level, unknown, missing) get an extra group.
  const other = new Map();
  D.reports.forEach((r) => {
    const code = r.region || "—";
    if (!unitByCode.has(code) && !other.has(code)) other.set(code, { code: code, name: r.regionName || "未识别地区", kind: "", years: null, extra: true });
  });
  if (other.size) D.prefectures.push({ code: "other", name: "其他 / 未识别", units: Array.from(other.values()) });
  const violationsByReport = new Map();
  D.violations.forEach((v) => v.reports.forEach((id) => {
    if (!violationsByReport.has(id)) violationsByReport.set(id, []);
    violationsByReport.get(id).push(v);
  }));

  const state = { year: null, county: null, report: null };
  function readHash() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.year = h.get("year") ? Number(h.get("year")) : null;
    state.county = h.get("county");
    state.report = h.get("report");
  }
  let scrollWanted = false; // only after a click: a loaded URL keeps the page at the top
  function go(patch) {
    scrollWanted = Boolean(patch.county || patch.report);
    const s = Object.assign({}, state, patch);
    const h = new URLSearchParams();
    if (s.year) h.set("year", s.year);
    if (s.county) h.set("county", s.county);
    if (s.report) h.set("report", s.report);
    location.hash = h.toString();
  }

  const inYear = (r) => state.year == null || r.year === state.year;
  const regionOf = (r) => r.region || "—";

  // --- aggregation (mirrors warehouse.dq_summary) ---------------------------------------------
  function aggregate(reports) {
    const ids = new Set(reports.map((r) => r.id));
    const crit = new Set(), warn = new Set();
    reports.forEach((r) => (violationsByReport.get(r.id) || []).forEach((v) => (v.severity === "critical" ? crit : warn).add(v.id)));
    const passing = reports.filter((r) => r.passes).length;
    return {
      reports: reports.length, checked: reports.filter((r) => r.checks > 0).length, passing: passing,
      passRate: reports.length ? passing / reports.length : null, critical: crit.size, warnings: warn.size, ids: ids,
    };
  }
  function filteredReports() { return D.reports.filter(inYear); }
  function filteredViolations() {
    return D.violations.filter((v) => v.reports.some((id) => { const r = reportsById.get(id); return r && inYear(r); }));
  }

  function colour(rate) {
    // red (≤50%) → orange (80%) → olive (95%) → green (100%): below 80% is already a poor county
    const stops = [[0, 4, 62, 40], [0.5, 4, 62, 44], [0.8, 28, 80, 45], [0.95, 60, 60, 38], [1, 130, 40, 34]];
    let i = 1;
    while (i < stops.length - 1 && rate > stops[i][0]) i++;
    const a = stops[i - 1], b = stops[i];
    const t = (rate - a[0]) / (b[0] - a[0] || 1);
    const m = (i) => a[i] + (b[i] - a[i]) * t;
    return `hsl(${m(1).toFixed(0)} ${m(2).toFixed(0)}% ${m(3).toFixed(0)}%)`;
  }

  // --- rendering -------------------------------------------------------------------------------
  function renderHeader() {
    const years = D.years.length ? `${D.years[0]}–${D.years[D.years.length - 1]}` : "无数据";
    $("subtitle").textContent = `浙江省 · 报告年度 ${years} · 生成于 ${D.generatedAt}`;
    const sel = $("year");
    if (!sel.options.length) {
      sel.innerHTML = `<option value="">全部年度</option>` + D.years.map((y) => `<option value="${y}">${y}</option>`).join("");
      sel.addEventListener("change", () => go({ year: sel.value ? Number(sel.value) : null, report: null }));
      $("reset").addEventListener("click", (e) => { e.preventDefault(); go({ year: null, county: null, report: null }); });
    }
    sel.value = state.year ? String(state.year) : "";
  }

  function renderKpis() {
    const reps = filteredReports();
    const a = aggregate(reps);
    // units that exist in the selected year (all years: the latest year's list)
    const ref = state.year != null ? state.year : D.years[D.years.length - 1];
    const units = D.prefectures.filter((p) => p.code !== "other")
      .reduce((n, p) => n + p.units.filter((u) => !u.years || ref == null || u.years.indexOf(ref) >= 0).length, 0);
    const covered = new Set(reps.map(regionOf).filter((c) => unitByCode.has(c))).size;
    const unread = reps.filter((r) => !STATUS_OK[r.status]).length;
    const k = (cls, v, l, attr) => `<div class="kpi ${cls}" ${attr}><div class="v">${v}</div><div class="l">${l}</div></div>`;
    $("kpis").innerHTML = [
      k("", a.reports, "报告数", `data-kpi="reports" data-value="${a.reports}"`),
      k("ok", pct(a.passRate), `通过率（${a.passing}/${a.reports}）`, `data-kpi="pass-rate" data-value="${a.passRate == null ? "" : a.passRate.toFixed(6)}"`),
      k("crit", a.critical, "严重违规", `data-kpi="critical" data-value="${a.critical}"`),
      k("warn", a.warnings, "警告", `data-kpi="warnings" data-value="${a.warnings}"`),
      k("", unread, "未能读取的报告", `data-kpi="unread" data-value="${unread}"`),
      k("", `${covered}/${units}`, "有报告的县级单位", `data-kpi="coverage" data-value="${covered}"`),
    ].join("");
  }

  function renderGrid() {
    $("legend").innerHTML = `<span>0%</span><span class="bar"></span><span>100%</span><span class="nr"></span><span>无报告</span>`;
    const byRegion = new Map();
    filteredReports().forEach((r) => {
      const c = regionOf(r);
      if (!byRegion.has(c)) byRegion.set(c, []);
      byRegion.get(c).push(r);
    });
    $("grid").innerHTML = D.prefectures.map((p) => {
      const shown = [];
      const tiles = p.units.map((u) => {
        const reps = byRegion.get(u.code) || [];
        const a = aggregate(reps);
        // a unit is listed for the selected year if it existed then (all years: if it exists in the latest year)
        const ref = state.year != null ? state.year : D.years[D.years.length - 1];
        const exists = !u.years || ref == null || u.years.indexOf(ref) >= 0;
        if (!exists && !reps.length) return "";
        shown.push(u.code);
        const hist = u.years && D.years.length && u.years.indexOf(D.years[D.years.length - 1]) < 0 ? `<span class="hist">已撤销</span>` : "";
        const attrs = `data-region="${esc(u.code)}" data-reports="${a.reports}" data-checked="${a.checked}" data-passing="${a.passing}" ` +
          `data-pass-rate="${a.passRate == null ? "" : a.passRate.toFixed(6)}" data-critical="${a.critical}" data-warnings="${a.warnings}"`;
        const sel = state.county === u.code ? " sel" : "";
        const title = `${u.code} ${u.name}：${a.reports} 份报告，通过 ${a.passing}，严重 ${a.critical}，警告 ${a.warnings}`;
        if (!a.reports) {
          return `<div class="tile empty${sel}" ${attrs} title="${esc(title)}"><div class="n">${esc(u.name)}</div><div class="c">${esc(u.code)}</div><div class="m">无报告</div>${hist}</div>`;
        }
        const bg = a.passRate == null ? "#7b8794" : colour(a.passRate);
        return `<div class="tile${sel}" ${attrs} style="background:${bg}" title="${esc(title)}">` +
          `<div class="n">${esc(u.name)}</div><div class="c">${esc(u.code)} · ${a.reports} 份</div>` +
          `<div class="r">${pct(a.passRate)}</div><div class="m">严重 ${a.critical} · 警告 ${a.warnings}</div>${hist}</div>`;
      }).join("");
      if (!tiles) return "";
      return `<div class="pref" data-prefecture="${esc(p.code)}"><div class="pref-head"><b>${esc(p.name)}</b><span>${shown.length} 个单位</span></div><div class="tiles">${tiles}</div></div>`;
    }).join("");
    $("grid").querySelectorAll(".tile").forEach((t) => t.addEventListener("click", () => go({ county: t.dataset.region, report: null })));
  }

  function barChart(rows, opts) {
    // rows: [{label, sub, critical, warning, attrs, onclickKey}]
    const max = Math.max(1, ...rows.map((r) => r.critical + r.warning));
    const W = 340, labelW = 130, rowH = 24, H = Math.max(rowH, rows.length * rowH) + 6;
    const scale = (W - labelW - 40) / max;
    const g = rows.map((r, i) => {
      const y = i * rowH + 3, wc = r.critical * scale, ww = r.warning * scale;
      return `<g class="chart-bar" ${r.attrs} data-key="${esc(r.key)}">` +
        `<title>${esc(r.label)}：严重 ${r.critical}，警告 ${r.warning}</title>` +
        `<text x="0" y="${y + 15}" font-size="12" fill="#1f2933">${esc(r.label)}</text>` +
        (r.sub ? `<text x="${labelW - 6}" y="${y + 15}" font-size="10" fill="#616e7c" text-anchor="end">${esc(r.sub)}</text>` : "") +
        `<rect x="${labelW}" y="${y + 3}" width="${wc}" height="16" fill="#b42318"></rect>` +
        `<rect x="${labelW + wc}" y="${y + 3}" width="${ww}" height="16" fill="#dc8a2d"></rect>` +
        `<text x="${labelW + wc + ww + 5}" y="${y + 15}" font-size="12" fill="#1f2933">${r.critical + r.warning}</text></g>`;
    }).join("");
    return `<svg width="100%" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title)}">${g}</svg>` +
      (rows.length ? "" : `<p class="note">没有违规。</p>`);
  }

  function renderCharts() {
    const vs = filteredViolations();
    const byRule = new Map();
    Object.values(D.rules).forEach((r) => byRule.set(r.rule, { rule: r.rule, invariant: r.invariant, critical: 0, warning: 0 }));
    vs.forEach((v) => {
      if (!byRule.has(v.rule)) byRule.set(v.rule, { rule: v.rule, invariant: v.invariant, critical: 0, warning: 0 });
      byRule.get(v.rule)[v.severity === "critical" ? "critical" : "warning"] += 1;
    });
    const ruleRows = Array.from(byRule.values()).filter((r) => r.critical + r.warning > 0)
      .sort((a, b) => b.critical - a.critical || b.warning - a.warning || a.rule.localeCompare(b.rule))
      .map((r) => ({ key: r.rule, label: r.rule, sub: "", critical: r.critical, warning: r.warning,
        attrs: `data-rule="${esc(r.rule)}" data-count="${r.critical + r.warning}" data-critical="${r.critical}" data-warnings="${r.warning}"` }));
    $("by-rule").innerHTML = barChart(ruleRows, { title: "按规则的违规数" });
    // by year: all years, regardless of the year filter (the selected one is marked)
    const years = new Map(D.years.map((y) => [y, { critical: new Set(), warning: new Set() }]));
    D.violations.forEach((v) => v.reports.forEach((id) => {
      const r = reportsById.get(id);
      if (r && years.has(r.year)) years.get(r.year)[v.severity === "critical" ? "critical" : "warning"].add(v.id);
    }));
    const yearRows = Array.from(years.entries()).map(([y, s]) => ({
      key: String(y), label: (state.year === y ? "▶ " : "") + y, sub: "", critical: s.critical.size, warning: s.warning.size,
      attrs: `data-year="${y}" data-critical="${s.critical.size}" data-warnings="${s.warning.size}"`,
    }));
    $("by-year").innerHTML = barChart(yearRows, { title: "按年度的违规数" }) +
      `<p class="note">红：严重（critical）；橙：警告（warning）。跨报告规则计入其涉及的每个年度。点击年度筛选。</p>`;
    $("by-year").querySelectorAll("[data-year]").forEach((g) => g.addEventListener("click", () => go({ year: Number(g.dataset.year), report: null })));
    $("rules").innerHTML = Object.values(D.rules).map((r) =>
      `<div class="rule-doc" data-rule-doc="${esc(r.rule)}"><span class="badge ${esc(r.severity)}">${SEV[r.severity] || esc(r.severity)}</span> ` +
      `<code>${esc(r.rule)}</code>${r.invariant && r.invariant !== r.rule ? ` <small>${esc(r.invariant)}</small>` : ""}` +
      ` — 检查 ${r.checked}，失败 ${r.failed}${r.about ? `<br><small>${esc(r.about)}</small>` : ""}</div>`).join("") ||
      `<p class="note">尚无数据质量结果。</p>`;
  }

  function statusBadge(r) {
    if (!STATUS_OK[r.status]) return `<span class="badge unread">${esc(r.status)}</span>`;
    if (!r.checks) return `<span class="badge unread">未校验</span>`;
    return r.passes ? `<span class="badge pass">通过</span>` : `<span class="badge critical">未通过</span>`;
  }

  function renderDetail() {
    const el = $("detail");
    const worst = $("worst");
    if (!state.county) { el.hidden = true; el.innerHTML = ""; renderWorst(worst); return; }
    worst.hidden = true; worst.innerHTML = "";
    el.hidden = false;
    const u = unitByCode.get(state.county) || other.get(state.county) || { code: state.county, name: state.county };
    const reps = D.reports.filter((r) => regionOf(r) === state.county && inYear(r));
    const a = aggregate(reps);
    const counts = (r) => {
      const vs = violationsByReport.get(r.id) || [];
      return { c: vs.filter((v) => v.severity === "critical").length, w: vs.filter((v) => v.severity !== "critical").length };
    };
    reps.sort((x, y) => counts(y).c - counts(x).c || counts(y).w - counts(x).w || (x.year - y.year) || String(x.agency).localeCompare(String(y.agency)));
    let html = `<div class="crumbs"><a href="#" data-nav="top">全省</a> › ${esc(u.prefecture || "")} › <b>${esc(u.name)}</b> ${esc(u.code)}${state.year ? ` · ${state.year} 年` : ""}</div>` +
      `<h2 data-county-detail="${esc(u.code)}" data-reports="${a.reports}" data-critical="${a.critical}" data-warnings="${a.warnings}">${esc(u.name)}：${a.reports} 份报告 · 通过率 ${pct(a.passRate)} · 严重 ${a.critical} · 警告 ${a.warnings}</h2>`;
    if (!reps.length) html += `<p class="note">该单位${state.year ? "本年度" : ""}没有入库的报告。</p>`;
    else {
      html += `<table class="list"><thead><tr><th>年度</th><th>机关</th><th>类型</th><th>状态</th><th class="num">检查</th><th class="num">严重</th><th class="num">警告</th><th>文件</th></tr></thead><tbody>` +
        reps.map((r) => {
          const n = counts(r);
          return `<tr class="click${state.report === r.id ? " sel" : ""}" data-report="${esc(r.id)}"><td>${r.year ?? "—"}</td><td>${esc(r.agency || "—")}</td><td>${esc(r.type || "")}</td>` +
            `<td>${statusBadge(r)}</td><td class="num">${r.checks}</td><td class="num">${n.c}</td><td class="num">${n.w}</td><td>${esc(r.file || "")}</td></tr>`;
        }).join("") + `</tbody></table>`;
    }
    if (state.report && reportsById.has(state.report)) html += reportDetail(reportsById.get(state.report));
    el.innerHTML = html;
    el.querySelectorAll("tr[data-report]").forEach((tr) => tr.addEventListener("click", () => go({ report: tr.dataset.report })));
    el.querySelectorAll("[data-nav=top]").forEach((x) => x.addEventListener("click", (e) => { e.preventDefault(); go({ county: null, report: null }); }));
    if (scrollWanted) { scrollWanted = false; el.scrollIntoView({ block: "start", behavior: "smooth" }); }
  }

  // Overview: the reports with the most failing rules (critical first), as a starting point for an audit.
  function renderWorst(el) {
    const rows = filteredReports().map((r) => {
      const vs = violationsByReport.get(r.id) || [];
      const c = vs.filter((v) => v.severity === "critical").length;
      return { r: r, c: c, w: vs.length - c, rules: Array.from(new Set(vs.map((v) => v.rule))) };
    }).filter((x) => x.c + x.w > 0).sort((a, b) => b.c - a.c || b.w - a.w || String(a.r.region).localeCompare(String(b.r.region)));
    if (!rows.length) { el.hidden = true; el.innerHTML = ""; return; }
    el.hidden = false;
    const top = rows.slice(0, 12);
    el.innerHTML = `<div class="panel-head"><h2 data-failing-reports="${rows.length}">有失败规则的报告（${rows.length}）</h2>` +
      `<span class="note">按严重违规数排序${rows.length > top.length ? `，显示前 ${top.length} 份` : ""}</span></div>` +
      `<table class="list"><thead><tr><th>地区</th><th>年度</th><th>机关</th><th class="num">严重</th><th class="num">警告</th><th>失败的规则</th></tr></thead><tbody>` +
      top.map((x) => `<tr class="click" data-goto-county="${esc(regionOf(x.r))}" data-goto-report="${esc(x.r.id)}"><td>${esc(x.r.regionName || x.r.region || "—")}</td>` +
        `<td>${x.r.year ?? "—"}</td><td>${esc(x.r.agency || x.r.file || x.r.id)}</td><td class="num">${x.c}</td><td class="num">${x.w}</td>` +
        `<td>${x.rules.map((r) => `<code>${esc(r)}</code>`).join(" ")}</td></tr>`).join("") + `</tbody></table>`;
    el.querySelectorAll("tr[data-goto-report]").forEach((tr) => tr.addEventListener("click", () => go({ county: tr.dataset.gotoCounty, report: tr.dataset.gotoReport })));
  }

  function fileUrl(path) {
    if (!path) return null;
    return path.startsWith("/") ? "file://" + encodeURI(path) : null;
  }

  function reportDetail(r) {
    const vs = (violationsByReport.get(r.id) || []).slice().sort((a, b) => (a.severity === "critical" ? 0 : 1) - (b.severity === "critical" ? 0 : 1) || a.rule.localeCompare(b.rule));
    const url = fileUrl(r.source);
    let html = `<div id="report-detail" data-report-detail="${esc(r.id)}" data-violations="${vs.length}"><h3>${esc(r.agency || r.file || r.id)} · ${r.year ?? ""} 年</h3>` +
      `<dl class="meta"><dt>状态</dt><dd>${statusBadge(r)} ${esc(r.status)} / ${esc(r.quality || "")}</dd>` +
      `<dt>模板</dt><dd>${esc(r.template || "—")}</dd><dt>report_id</dt><dd><code>${esc(r.id)}</code></dd>` +
      `<dt>源文件</dt><dd>${url ? `<a href="${esc(url)}">${esc(r.source)}</a>` : esc(r.source || "—")}</dd></dl>`;
    const corrs = (D.corrections || {})[r.id] || [];
    const corrByKey = new Map(corrs.map((c) => [c.key, c]));
    // GX re-run with the corrected values: passes on this cell, fails (rules named), or not run yet.
    const gxBadge = (c) => !c.gxChecked ? `<span class="badge unread" data-gx="pending">GX 待复核</span>`
      : c.gxFailed.length ? `<span class="badge critical" data-gx="fail">GX 复核未通过</span> ${c.gxFailed.map((x) => `<code>${esc(x)}</code>`).join(" ")}`
      : `<span class="badge pass" data-gx="pass">GX 复核通过</span>`;
    const corrLine = (c, withCrop) => `<div class="corr${c.flagged ? " flagged" : ""}" data-correction-key="${esc(c.key)}" data-correction-value="${esc(String(c.value))}">` +
      `人工更正 <code>${esc(c.key)}</code>：${esc(String(c.old ?? "—"))} → <b>${esc(String(c.value))}</b>（${esc(c.by)}，${esc(c.at || "")}：${esc(c.reason)}）` +
      (c.invariantsFlagged ? ` <span class="badge critical">仍违反勾稽关系</span> ${esc(c.flagReason || "")}` : "") + ` ${gxBadge(c)}` +
      (withCrop && c.crop ? `<div class="crop"><figure><img loading="lazy" src="${esc(c.crop)}" alt="${esc(c.key)}" data-correction-crop="${esc(c.key)}">` +
        `<figcaption>所更正的单元格 · 第 ${c.page} 页</figcaption></figure></div>` : "") + `</div>`;
    if (r.afterCorrections) html += `<p class="note" data-after-corrections="${r.passes ? "pass" : "fail"}" data-as-read="${r.passesAsRead ? "pass" : "fail"}">` +
      `按人工更正后的数值复核（GX）：${r.passes ? "通过" : "未通过"}；按读取的数值：${r.passesAsRead ? "通过" : "未通过"}。下列规则结果为更正后的复核结果。</p>`;
    if (corrs.length) html += `<div class="corrs" data-corrections="${corrs.length}"><h4>人工更正</h4>${corrs.map((c) => corrLine(c, true)).join("")}</div>`;
    if (!vs.length) return html + `<p class="note">没有失败的规则。</p></div>`;
    html += vs.map((v) => {
      const others = v.reports.filter((id) => id !== r.id).map((id) => reportsById.get(id)).filter(Boolean);
      const crops = v.crops.map((c) => {
        const cr = reportsById.get(c.report) || {};
        const cap = `${esc(cr.agency || c.report)} ${cr.year ?? ""} 年 · 第 ${c.page} 页`;
        const link = fileUrl(cr.source);
        return c.src ? `<div class="crop"><figure><img loading="lazy" src="${esc(c.src)}" alt="${cap}"><figcaption>${cap}${link ? ` · <a href="${esc(link)}#page=${c.page}">打开PDF</a>` : ""}</figcaption></figure></div>`
          : `<div class="missing">${cap}：源PDF已不在原位置，无法截图。</div>`;
      }).join("");
      return `<div class="viol ${esc(v.severity)}" data-violation="${v.id}" data-rule="${esc(v.rule)}">` +
        `<div class="head"><span class="badge ${esc(v.severity)}">${SEV[v.severity] || esc(v.severity)}</span><span class="rule">${esc(v.rule)}</span>` +
        `${v.invariant && v.invariant !== v.rule ? `<small>${esc(v.invariant)}</small>` : ""}${v.suite ? `<small>· ${esc(v.suite)}</small>` : ""}</div>` +
        `<div class="desc">${esc(v.description || "")}</div>` +
        (v.observed != null || v.expected != null ? `<div class="oe">实际 <b>${esc(v.observed ?? "—")}</b> · 应为 <b>${esc(v.expected ?? "—")}</b></div>` : "") +
        (others.length ? `<div class="oe">涉及其他报告：${others.map((o) => `<a href="#${new URLSearchParams({ county: regionOf(o), report: o.id }).toString()}">${esc(o.agency)} ${o.year}</a>`).join("、")}</div>` : "") +
        (v.cells.length ? `<div class="keys">${v.cells.map((c) => `<code title="${esc(c.report)}">${esc(c.key)}${c.page ? ` p${c.page}` : ""}</code>`).join("")}</div>` : "") +
        `<div class="crops">${crops}${v.cells.filter((c) => c.report === r.id && corrByKey.has(c.key)).map((c) => corrLine(corrByKey.get(c.key), false)).join("")}</div></div>`;
    }).join("");
    return html + `</div>`;
  }

  function render() {
    readHash();
    renderHeader(); renderKpis(); renderGrid(); renderCharts(); renderDetail();
    $("foot").textContent = `数据：warehouse dq_results / reports · ${D.reports.length} 份报告，${D.violations.length} 条失败记录` +
      (D.cropsMissing ? ` · ${D.cropsMissing} 处截图因源PDF缺失而略去` : "") + " · 静态文件，无需服务器。";
    document.body.dataset.ready = "1";
  }
  window.addEventListener("hashchange", render);
  render();
})();
