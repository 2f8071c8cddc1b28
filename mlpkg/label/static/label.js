"use strict";
// The annotation page: one article at a time; every key press that decides posts at once, and the
// server appends it to the labels file (fsynced) before it answers with the next article.
const params = new URLSearchParams(location.search);
const token = params.get("token") || sessionStorage.getItem("mlpkg-token") || "";
if (token) sessionStorage.setItem("mlpkg-token", token);
const $ = (id) => document.getElementById(id);
const state = { view: null, accept: {}, busy: false };
const annotatorBox = $("annotator");
annotatorBox.value = params.get("annotator") || localStorage.getItem("mlpkg-annotator") || "";

function annotator() { return annotatorBox.value.trim(); }

async function call(path, body) {
  const opts = { headers: { "X-Label-Token": token } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify({ ...body, annotator: annotator() });
  }
  const url = body === undefined ? `${path}?annotator=${encodeURIComponent(annotator())}` : path;
  const res = await fetch(url, opts);
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function marked(parent, segments, tags) {
  parent.textContent = "";
  for (const [text, tag] of segments) {
    if (tag === null) { parent.appendChild(document.createTextNode(text)); continue; }
    const m = document.createElement("mark");
    m.className = "t" + tags.indexOf(tag);
    m.title = tag;
    m.textContent = text;
    parent.appendChild(m);
  }
}

function renderProgress(p, tags) {
  const pos = tags.map((t) => `${t} ${p.positives[t]}`).join(" · ");
  $("progress").textContent = `labelled today ${p.labelled_today} (you ${p.labelled_today_by_you}) · ` +
    `all ${p.labelled} · positives: ${pos} · queue left ${p.queue_left} of ${p.pool}`;
}

function render(view) {
  state.view = view;
  state.accept = {};
  $("unsure").checked = false;
  $("reason").value = "";
  renderProgress(view.progress, view.tags);
  $("model").textContent = view.model ? `model ${view.model} (${view.model_hash})` : "no model: ranked by lexicon hits";
  const a = view.article;
  document.body.dataset.articleId = a ? a.id : "";
  if (!a) {
    $("article-id").textContent = "";
    $("why").textContent = "";
    $("title").textContent = view.need_annotator ? "Type your name above to start" : "The queue is empty";
    $("body").textContent = view.need_annotator ? "" : "Every candidate of the pool is decided or skipped.";
    $("scores").textContent = "";
    $("tags").textContent = "";
    return;
  }
  $("article-id").textContent = a.id;
  $("why").textContent = a.reasons.length ? `· queued for ${a.why_tag}: ${a.reasons.join("; ")}` : `· queued for ${a.why_tag}`;
  marked($("title"), a.title_marks, view.tags);
  marked($("body"), a.body, view.tags);
  if (a.truncated) $("body").appendChild(document.createTextNode("\n[…]"));
  $("body").scrollTop = 0;
  const scores = $("scores");
  scores.textContent = "";
  for (const t of view.tags) {
    const p = a.scores[t];
    const row = document.createElement("div");
    row.className = "score";
    const name = document.createElement("span");
    name.textContent = t;
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("div");
    fill.className = "fill";
    fill.style.width = p === undefined ? "0" : `${(100 * p).toFixed(1)}%`;
    bar.appendChild(fill);
    if (a.thresholds[t] != null) {
      const cut = document.createElement("div");
      cut.className = "cut";
      cut.style.left = `${(100 * a.thresholds[t]).toFixed(1)}%`;
      cut.title = `threshold ${a.thresholds[t].toFixed(2)}`;
      bar.appendChild(cut);
    }
    const num = document.createElement("span");
    num.textContent = p === undefined ? `lex ${a.hits[t]}` : p.toFixed(2);
    row.append(name, bar, num);
    scores.appendChild(row);
  }
  renderTags();
}

function renderTags() {
  const view = state.view;
  const box = $("tags");
  box.textContent = "";
  const focus = view.focus || (view.article && view.article.why_tag);
  view.tags.forEach((t, i) => {
    const row = document.createElement("div");
    row.className = "tag" + (t === focus ? " focus" : "");
    const key = document.createElement("kbd");
    key.textContent = String(i + 1);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = t;
    const yes = document.createElement("button");
    yes.className = "accept" + (state.accept[t] ? " on" : "");
    yes.textContent = "accept";
    yes.addEventListener("click", () => { state.accept[t] = true; renderTags(); });
    const no = document.createElement("button");
    no.className = "reject" + (state.accept[t] ? "" : " on");
    no.textContent = "reject";
    no.addEventListener("click", () => { state.accept[t] = false; renderTags(); });
    row.append(key, name, yes, no);
    box.appendChild(row);
  });
  $("focus-keys").textContent = focus ? `y / n: ${focus} yes / no, then save` : "";
}

function status(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

async function act(path, body, done) {
  if (state.busy) return;
  state.busy = true;
  try {
    render(await call(path, body));
    status(done);
  } catch (e) {
    status(e.message, true);
  } finally {
    state.busy = false;
  }
}

function save() {
  const a = state.view && state.view.article;
  if (!a) return;
  const tags = state.view.tags.filter((t) => state.accept[t]);
  const unsure = $("unsure").checked;
  const reason = $("reason").value;
  if (unsure && !reason.trim()) { status("unsure: type a short reason first (r)", true); $("reason").focus(); return; }
  act("/api/decide", { id: a.id, tags, unsure, reason },
    `saved ${a.id}: ${tags.length ? tags.join(", ") : "no tag"}${unsure ? " (unsure)" : ""}`);
}

function focusTag() {
  const v = state.view;
  return v && (v.focus || (v.article && v.article.why_tag));
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const inBox = ev.target === $("reason") || ev.target === annotatorBox;
  if (inBox) {
    if (ev.key === "Escape") { ev.target.blur(); ev.preventDefault(); }
    else if (ev.key === "Enter" && ev.target === $("reason")) { ev.preventDefault(); save(); }
    else if (ev.key === "Enter" && ev.target === annotatorBox) { ev.preventDefault(); annotatorBox.blur(); }
    return;
  }
  const v = state.view;
  const k = ev.key;
  if (/^[1-9]$/.test(k) && v && Number(k) <= v.tags.length) {
    const t = v.tags[Number(k) - 1];
    state.accept[t] = !state.accept[t];
    renderTags();
  } else if (k === "y" || k === "n") {
    const t = focusTag();
    if (!t) return;
    state.accept[t] = k === "y";
    save();
  } else if (k === "Enter") {
    save();
  } else if (k === "u") {
    $("unsure").checked = !$("unsure").checked;
    if ($("unsure").checked) $("reason").focus();
  } else if (k === "r") {
    $("reason").focus();
  } else if (k === "s") {
    if (v && v.article) act("/api/skip", { id: v.article.id }, `skipped ${v.article.id}`);
  } else if (k === "z" || k === "Backspace") {
    act("/api/undo", {}, "undone: the article is back");
  } else {
    return;
  }
  ev.preventDefault();
});

$("save").addEventListener("click", save);
$("skip").addEventListener("click", () => {
  const a = state.view && state.view.article;
  if (a) act("/api/skip", { id: a.id }, `skipped ${a.id}`);
});
$("undo").addEventListener("click", () => act("/api/undo", {}, "undone: the article is back"));
annotatorBox.addEventListener("change", () => {
  localStorage.setItem("mlpkg-annotator", annotator());
  load();
});

async function load() {
  try {
    render(await call("/api/current"));
  } catch (e) {
    status(e.message, true);
  }
}
load();
