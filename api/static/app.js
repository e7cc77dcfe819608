// minutes-rag web page: search, filters from /facets, highlighted cited results, brief, upload.
// Vanilla JS, no dependencies. Text from the server is always inserted with textContent (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The API answers errors as {"error": {"code", "message"}}.
async function api(path, options = {}) {
  const response = await fetch(path, options);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : null;
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    error.code = body && body.error ? body.error.code : "http_error";
    error.body = body;
    throw error;
  }
  return body;
}

function showMessage(node, text, kind = "error") {
  node.textContent = text;
  node.className = `message ${kind}`;
  node.hidden = !text;
}

// ---------------------------------------------------------------------------------------------
// status and facets
// ---------------------------------------------------------------------------------------------
function facetLabel(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  return String(value.title ?? value.name ?? value.value ?? value.label ?? JSON.stringify(value));
}

function fillSelect(select, values, { group } = {}) {
  const parent = group ? el("optgroup", { label: group }) : select;
  for (const value of values || []) {
    const label = facetLabel(value);
    if (!label) continue;
    parent.append(el("option", { value: label }, label));
  }
  if (group && parent.children.length) select.append(parent);
}

async function loadFacets() {
  try {
    const facets = await api("/facets");
    fillSelect($("f-meeting"), facets.bodies, { group: "会議体 / Body" });
    fillSelect($("f-meeting"), facets.meetings, { group: "会議 / Meeting" });
    fillSelect($("f-topic"), facets.topics);
    fillSelect($("f-speaker"), facets.speakers);
    // Dates in the index, as a hint (not min/max: a range outside them is a valid, empty search).
    const dates = (facets.dates || []).map(facetLabel).filter(Boolean).sort();
    const hint = dates.length ? `${dates[0]} – ${dates[dates.length - 1]}` : "";
    $("f-date-from").title = $("f-date-to").title = hint;
  } catch (error) {
    console.warn("facets unavailable:", error.message);
  }
}

async function loadMeetings() {
  try {
    const meetings = await api("/meetings");
    const list = $("meetings");
    list.replaceChildren();
    for (const m of meetings) {
      const session = m.session ? `第${m.session}回` : "";
      list.append(el("li", {}, [m.title || m.document, session, m.date, m.remarks != null ? `${m.remarks} 発言` : ""]
        .filter(Boolean).join(" · ")));
    }
    $("doc-count").textContent = String(meetings.length);
  } catch (error) {
    console.warn("meetings unavailable:", error.message);
  }
}

async function waitUntilReady() {
  const status = $("status");
  for (let attempt = 0; ; attempt++) {
    try {
      const ready = await api("/ready");
      status.textContent = `準備完了 · ready · ${ready.documents} 文書 / documents · model ${ready.model}`;
      status.className = "status ok";
      return;
    } catch (error) {
      status.textContent = `読み込み中… loading… (${error.message})`;
      status.className = "status wait";
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * (attempt + 1))));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// search and results
// ---------------------------------------------------------------------------------------------
function collectFilters() {
  const filters = {};
  const pairs = [["meeting", "f-meeting"], ["date_from", "f-date-from"], ["date_to", "f-date-to"],
    ["topic", "f-topic"], ["speaker", "f-speaker"]];
  for (const [key, id] of pairs) {
    const value = $(id).value.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

// Text with <mark> around the highlight ranges (offsets into the text; overlaps merged).
function highlighted(text, highlights) {
  const ranges = (highlights || [])
    .map((h) => [Math.max(0, h.start), Math.min(text.length, h.end)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  const p = el("p", { class: "hit-text" });
  let pos = 0;
  for (const [start, end] of merged) {
    if (start > pos) p.append(text.slice(pos, start));
    p.append(el("mark", {}, text.slice(start, end)));
    pos = end;
  }
  if (pos < text.length) p.append(text.slice(pos));
  return p;
}

function citationLine(c) {
  const parts = [];
  if (c.session) parts.push(`第${c.session}回`);
  if (c.date) parts.push(c.date);
  if (c.topic) parts.push(`論点: ${c.topic}`);
  parts.push(c.speaker ? `発言者: ${c.speaker}` : "発言者: （匿名 / anonymous）");
  if (c.pages && c.pages.length) {
    const pages = c.pages.length > 1 ? `${c.pages[0]}–${c.pages[c.pages.length - 1]}` : `${c.pages[0]}`;
    parts.push(`p. ${pages}`);
  }
  return parts;
}

function confidenceBar(confidence) {
  const pct = Math.round(Math.max(0, Math.min(1, confidence)) * 100);
  const level = pct >= 66 ? "high" : pct >= 33 ? "mid" : "low";
  return el("div", { class: "confidence", title: `確信度 / confidence ${pct}%` },
    el("span", { class: "label" }, "確信度 ", el("span", { class: "en" }, "confidence")),
    el("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) },
      el("div", { class: `fill ${level}`, style: `width: ${pct}%` })),
    el("span", { class: "pct" }, `${pct}%`));
}

function renderHit(hit, rank, question) {
  const c = hit.citation;
  const li = el("li", { class: "hit", "data-remark": hit.remark_id });
  li.append(
    el("div", { class: "hit-head" },
      el("span", { class: "rank" }, `#${rank}`),
      el("span", { class: "meeting" }, c.title || c.document)),
    highlighted(hit.text, hit.highlights),
    el("p", { class: "citation" }, citationLine(c).join(" · ")),
    el("div", { class: "hit-foot" }, confidenceBar(hit.confidence), briefButton(question, hit)),
    contextTools(hit, rank),
  );
  return li;
}

// ---------------------------------------------------------------------------------------------
// === CONTEXT: "前後の発言 / context" (GET /remarks/{id}) and "全文 / whole minutes" (GET /documents/{id}/text)
// ---------------------------------------------------------------------------------------------
const CONTEXT_WINDOW = 2;

function pagesText(pages) {
  if (!pages || !pages.length) return null;
  return pages.length > 1 ? `p. ${pages[0]}–${pages[pages.length - 1]}` : `p. ${pages[0]}`;
}

function remarkLine(r) {
  const who = r.speaker ? `発言者: ${r.speaker}` : r.role ? `発言者: （${r.role}）` : "発言者: （匿名 / anonymous）";
  return [r.ordinal ? `#${r.ordinal}` : null, who, r.topic ? `論点: ${r.topic}` : null, pagesText(r.pages)]
    .filter(Boolean).join(" · ");
}

function toggleButton(cls, ja, en, controls) {
  return el("button", { type: "button", class: `secondary ${cls}`, "aria-expanded": "false", "aria-controls": controls },
    `${ja} `, el("span", { class: "en" }, en));
}

function contextTools(hit, rank) {
  const ctxId = `context-${rank}`;
  const fullId = `fulltext-${rank}`;
  const ctxButton = toggleButton("context-toggle", "前後の発言", "context", ctxId);
  const fullButton = toggleButton("fulltext-toggle", "全文", "whole minutes", fullId);
  const ctxPanel = el("div", { id: ctxId, class: "context-panel", hidden: "", role: "region", "aria-label": "前後の発言 / context" });
  const fullPanel = el("div", { id: fullId, class: "fulltext-panel", hidden: "", role: "region", "aria-label": "全文 / whole minutes" });
  ctxButton.addEventListener("click", () => toggleContext(hit, ctxButton, ctxPanel));
  fullButton.addEventListener("click", () => toggleFullText(hit, fullButton, fullPanel));
  fullPanel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closePanel(fullButton, fullPanel); fullButton.focus(); }
  });
  ctxPanel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closePanel(ctxButton, ctxPanel); ctxButton.focus(); }
  });
  const row = el("div", { class: "context-tools" }, ctxButton, fullButton);
  if (hit.source_url) {
    const page = hit.citation.pages && hit.citation.pages.length ? ` p. ${hit.citation.pages[0]}` : "";
    row.append(el("a", { class: "source-link", href: hit.source_url, target: "_blank", rel: "noopener" },
      `原本PDF${page} `, el("span", { class: "en" }, "source PDF")));
  }
  return el("div", { class: "context" }, row, ctxPanel, fullPanel);
}

function closePanel(button, panel) {
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
}

async function loadOnce(panel, loader) {
  if (panel.dataset.loaded === "true") return;
  panel.replaceChildren(el("p", { class: "hint" }, "読み込み中… ", el("span", { class: "en" }, "loading…")));
  panel.setAttribute("aria-busy", "true");
  try {
    panel.replaceChildren(...(await loader()));
    panel.dataset.loaded = "true";
  } catch (error) {
    panel.replaceChildren(el("p", { class: "message error" }, `読み込めませんでした / Could not load: ${error.message}`));
  } finally {
    panel.removeAttribute("aria-busy");
  }
}

async function toggleContext(hit, button, panel) {
  if (!panel.hidden) { closePanel(button, panel); return; }
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  await loadOnce(panel, async () => {
    const q = `before=${CONTEXT_WINDOW}&after=${CONTEXT_WINDOW}`;
    const body = await api(`/remarks/${encodeURIComponent(hit.remark_id)}?${q}`);
    const start = body.topic_start;
    const head = el("p", { class: "hint topic-start" },
      `論点の始まり: #${start.ordinal}${body.topic ? `（${body.topic}）` : ""} `,
      el("span", { class: "en" }, `agenda item starts at remark ${start.ordinal}`));
    const list = el("ol", { class: "context-list" });
    for (const r of body.remarks) {
      const item = el("li", { class: `ctx-remark ${r.position}`, "data-remark": r.remark_id, "data-position": r.position },
        el("p", { class: "ctx-cite" }, remarkLine(r),
          r.source_url ? el("a", { class: "source-link", href: r.source_url, target: "_blank", rel: "noopener" }, " 原本PDF / PDF") : null,
          r.is_hit ? el("span", { class: "hit-badge" }, " ← この結果 / this hit") : null),
        r.is_hit ? highlighted(r.text, hit.highlights) : el("p", { class: "hit-text" }, r.text));
      if (r.is_hit) { item.classList.add("is-hit"); item.setAttribute("aria-current", "true"); }
      list.append(item);
    }
    return [head, list];
  });
}

async function toggleFullText(hit, button, panel) {
  if (!panel.hidden) { closePanel(button, panel); return; }
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  await loadOnce(panel, async () => {
    const body = await api(`/documents/${encodeURIComponent(hit.citation.document)}/text`);
    const text = body.text;
    const box = el("div", { class: "fulltext" });
    let pos = 0;
    for (const r of body.remarks) {
      if (r.start > pos) box.append(el("div", { class: "ft-gap" }, text.slice(pos, r.start)));
      const isHit = r.remark_id === hit.remark_id;
      const section = el("div", { class: `ft-remark${isHit ? " is-hit" : ""}`, "data-remark": r.remark_id },
        el("p", { class: "ctx-cite" }, remarkLine(r)),
        el("p", { class: "hit-text" }, text.slice(r.start, r.end)));
      if (isHit) { section.setAttribute("tabindex", "-1"); section.setAttribute("aria-current", "true"); }
      box.append(section);
      pos = Math.max(pos, r.end);
    }
    if (pos < text.length) box.append(el("div", { class: "ft-gap" }, text.slice(pos)));
    const title = el("p", { class: "hint" }, `${body.meeting.title || body.document} `,
      el("span", { class: "en" }, "Esc: 閉じる / close"));
    return [title, box];
  });
  const target = panel.querySelector(".ft-remark.is-hit");
  if (target) {
    const box = panel.querySelector(".fulltext");
    box.scrollTop = Math.max(0, target.offsetTop - 8);
    target.focus({ preventScroll: true });
  }
}

async function search(event) {
  if (event) event.preventDefault();
  const question = $("question").value.trim();
  const message = $("message");
  showMessage(message, "");
  $("no-evidence").hidden = true;
  $("timings").textContent = "";
  if (!question) {
    showMessage(message, "質問を入力してください / Type a question.");
    return;
  }
  const payload = { question, k: Number($("f-k").value) };
  const mode = $("f-mode").value;
  if (mode) payload.mode = mode;
  const filters = collectFilters();
  if (Object.keys(filters).length) payload.filters = filters;

  const button = $("search-button");
  button.disabled = true;
  $("results").setAttribute("aria-busy", "true");
  try {
    const result = await api("/search", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const list = $("results");
    list.replaceChildren(...result.hits.map((hit, i) => renderHit(hit, i + 1, question)));
    $("no-evidence").hidden = result.answerable && result.hits.length > 0;
    const total = Object.values(result.timings_ms || {}).reduce((a, b) => Math.max(a, b), 0);
    $("timings").textContent = `${result.hits.length} 件 / hits · ${Math.round(total)} ms · ${result.model}`;
  } catch (error) {
    $("results").replaceChildren();
    showMessage(message, `検索できませんでした / Search failed: ${error.message}`);
  } finally {
    button.disabled = false;
    $("results").removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------
// === BRIEF: "add to brief" on each hit + "download brief" (POST /brief) =========================
// The brief endpoint (POST /brief {questions, lang, format} → file) is defined in api/routes/brief.py.
// Collected questions live in sessionStorage so they survive a reload.
// ---------------------------------------------------------------------------------------------
const BRIEF_KEY = "minutes-rag.brief";

function briefQuestions() {
  try {
    return JSON.parse(sessionStorage.getItem(BRIEF_KEY) || "[]");
  } catch {
    return [];
  }
}

function saveBrief(questions) {
  sessionStorage.setItem(BRIEF_KEY, JSON.stringify(questions));
  renderBrief();
}

function addToBrief(question) {
  const questions = briefQuestions();
  if (!questions.includes(question)) questions.push(question);
  saveBrief(questions);
}

function briefButton(question, hit) {
  // One action per hit: adds the question that found it (the brief re-runs each question server-side).
  return el("button", {
    type: "button",
    class: "secondary add-brief",
    "data-remark": hit.remark_id,
    onclick: (event) => {
      addToBrief(question);
      event.currentTarget.textContent = "追加済み ✓ added";
    },
  }, "ブリーフに追加 ", el("span", { class: "en" }, "Add to brief"));
}

function renderBrief() {
  const questions = briefQuestions();
  const list = $("brief-list");
  list.replaceChildren(...questions.map((q, i) => el("li", {}, q, " ",
    el("button", {
      type: "button", class: "link", title: "削除 / remove",
      onclick: () => saveBrief(briefQuestions().filter((_, j) => j !== i)),
    }, "×"))));
  $("brief-download").disabled = questions.length === 0;
  $("brief-clear").disabled = questions.length === 0;
}

function filenameFrom(response, fallback) {
  const disposition = response.headers.get("content-disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : fallback;
}

async function downloadBrief() {
  const questions = briefQuestions();
  const lang = $("brief-lang").value;
  const format = $("brief-format").value;
  const message = $("brief-message");
  showMessage(message, "作成中… / building…", "info");
  try {
    const response = await fetch("/brief", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ questions, lang, format }),
    });
    if (!response.ok) {
      let text = `HTTP ${response.status}`;
      try {
        const body = await response.json();
        if (body.error) text = body.error.message;
      } catch { /* not JSON */ }
      throw new Error(text);
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: filenameFrom(response, `brief.${format}`) });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showMessage(message, "ダウンロードしました / downloaded", "ok");
  } catch (error) {
    showMessage(message, `ブリーフを作成できませんでした / Brief failed: ${error.message}`);
  }
}
// === end BRIEF ===============================================================================

// ---------------------------------------------------------------------------------------------
// upload
// ---------------------------------------------------------------------------------------------
const STATUS_LABELS = {
  added: "登録しました / added",
  replaced: "更新しました / replaced",
  unchanged: "変更なし / unchanged",
  failed: "失敗 / failed",
};

async function upload(event) {
  event.preventDefault();
  const files = $("upload-files").files;
  const key = $("upload-key").value.trim();
  const out = $("upload-result");
  out.replaceChildren();
  if (!files.length || !key) {
    out.append(el("li", { class: "failed" }, "ファイルと API キーが必要です / Choose files and enter the API key."));
    return;
  }
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const button = $("upload-button");
  button.disabled = true;
  try {
    const report = await api("/documents", { method: "POST", headers: { "X-API-Key": key }, body: form });
    renderUpload(report.files);
    await Promise.all([loadMeetings(), refreshFacets()]);
  } catch (error) {
    const details = error.body && error.body.error && error.body.error.details;
    if (details && details.files) renderUpload(details.files);
    else out.append(el("li", { class: "failed" }, error.message));
  } finally {
    button.disabled = false;
  }
}

function renderUpload(files) {
  const out = $("upload-result");
  out.replaceChildren(...files.map((f) => el("li", { class: f.status },
    `${f.file}: ${STATUS_LABELS[f.status] || f.status}`, f.reason ? ` — ${f.reason}` : "")));
}

async function refreshFacets() {
  for (const id of ["f-meeting", "f-topic", "f-speaker"]) {
    const select = $(id);
    while (select.children.length > 1) select.lastChild.remove();
  }
  await loadFacets();
}

// ---------------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", async () => {
  $("search-form").addEventListener("submit", search);
  $("upload-form").addEventListener("submit", upload);
  $("brief-download").addEventListener("click", downloadBrief);
  $("brief-clear").addEventListener("click", () => saveBrief([]));
  renderBrief();
  await waitUntilReady();
  await Promise.all([loadFacets(), loadMeetings()]);
  document.body.dataset.ready = "true";
});
