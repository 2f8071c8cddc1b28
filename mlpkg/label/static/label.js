"use strict";
// The annotation page: one article at a time; every key press that decides posts at once, and the
// server appends it to the labels file (fsynced) before it answers with the next article.
const params = new URLSearchParams(location.search);
const token = params.get("token") || sessionStorage.getItem("mlpkg-token") || "";
if (token) sessionStorage.setItem("mlpkg-token", token);
const $ = (id) => document.getElementById(id);
// decided: tag -> true (yes) or false (no); a tag not in it is undecided and is not written
const state = { view: null, decided: {}, busy: false };
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
  state.decided = {};
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
    $("evidence").textContent = "";
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
  const evidence = $("evidence");
  evidence.textContent = "";
  for (const [t, sentences] of Object.entries(a.evidence || {})) {
    for (const s of sentences) {
      const p = document.createElement("p");
      p.className = "evidence";
      const tag = document.createElement("b");
      tag.textContent = `${t}: `;
      p.append(tag, document.createTextNode(s));
      evidence.appendChild(p);
    }
  }
  if (!evidence.childNodes.length) evidence.textContent = "The model gives no tag.";
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
    const said = state.decided[t];
    row.dataset.decision = said === true ? "yes" : said === false ? "no" : "undecided";
    // a second click on the lit button makes the tag undecided again
    const yes = document.createElement("button");
    yes.className = "accept" + (said === true ? " on" : "");
    yes.textContent = "yes";
    yes.addEventListener("click", () => { setDecision(t, said === true ? undefined : true); });
    const no = document.createElement("button");
    no.className = "reject" + (said === false ? " on" : "");
    no.textContent = "no";
    no.addEventListener("click", () => { setDecision(t, said === false ? undefined : false); });
    const shown = document.createElement("span");
    shown.className = "said";
    shown.textContent = row.dataset.decision;
    row.append(key, name, yes, no, shown);
    box.appendChild(row);
  });
  $("focus-keys").textContent = focus ? `y / n: ${focus} yes / no, then save; the other tags stay undecided` : "";
}

function setDecision(tag, value) {
  if (value === undefined) delete state.decided[tag];
  else state.decided[tag] = value;
  renderTags();
}

// a number key cycles its tag: undecided, yes, no, undecided
function cycle(tag) {
  const said = state.decided[tag];
  setDecision(tag, said === undefined ? true : said === true ? false : undefined);
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
  const tags = state.view.tags.filter((t) => state.decided[t] === true);
  const rejected = state.view.tags.filter((t) => state.decided[t] === false);
  const unsure = $("unsure").checked;
  const reason = $("reason").value;
  if (!tags.length && !rejected.length) { status("nothing decided: y / n, or set a tag (1-9), or skip (s)", true); return; }
  if (unsure && !reason.trim()) { status("unsure: type a short reason first (r)", true); $("reason").focus(); return; }
  const said = [...tags.map((t) => `${t} yes`), ...rejected.map((t) => `${t} no`)].join(", ");
  act("/api/decide", { id: a.id, tags, rejected, unsure, reason }, `saved ${a.id}: ${said}${unsure ? " (unsure)" : ""}`);
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
    cycle(v.tags[Number(k) - 1]);
  } else if (k === "0" && v) {
    for (const t of v.tags) if (state.decided[t] === undefined) state.decided[t] = false;
    renderTags();
  } else if (k === "y" || k === "n") {
    const t = focusTag();
    if (!t) return;
    state.decided[t] = k === "y";
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
  } else if (k === "z") {
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
    render(await call("/api/current", {}));  // POST: showing an article claims it for this annotator
  } catch (e) {
    status(e.message, true);
  }
}
load();
