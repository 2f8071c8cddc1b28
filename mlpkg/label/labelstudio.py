"""Label Studio's JSON task format, both ways, for teams that already run Label Studio.

``export_tasks`` writes the top of the queue as Label Studio tasks (``data`` with the article, the
model's tags as ``predictions`` so they show as pre-annotations, ``meta`` with why it is queued) and
the labelling config that goes with them (a ``Choices`` named ``topics`` over the text, an ``unsure``
choice and a ``reason`` text area). ``import_annotations`` reads Label Studio's JSON export of those
tasks and appends each task's latest non-cancelled annotation to a labels file, as ``label`` events
by ``labelstudio:<annotator>``; a decision already in the file is not written twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..core.files import write_text
from ..errors import DataError
from .session import LabelSession
from .store import LabelLog, append_event

FROM_NAME, CONFIDENCE_NAME, REASON_NAME, TO_NAME = "topics", "confidence", "reason", "text"


def label_config(tags: list[str]) -> str:
    """The Label Studio labelling interface (XML) for the exported tasks."""
    choices = "\n".join(f"    <Choice value={quoteattr(t)}/>" for t in tags)
    return f"""<View>
  <Header value="$title"/>
  <Text name="{TO_NAME}" value="$text"/>
  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInLine="true">
{choices}
  </Choices>
  <Choices name="{CONFIDENCE_NAME}" toName="{TO_NAME}" choice="single">
    <Choice value="unsure"/>
  </Choices>
  <TextArea name="{REASON_NAME}" toName="{TO_NAME}" placeholder="short reason (required when unsure)"
            maxSubmissions="1" rows="2"/>
</View>
"""


def export_tasks(session: LabelSession, output: str | Path, limit: int = 500) -> dict:
    """Write ``output`` (a JSON list of tasks, best first) and ``label_config.xml`` beside it."""
    output = Path(output)
    thresholds = getattr(session.model, "thresholds_", {}) if session.model is not None else {}
    tasks = []
    for rank, c in enumerate(session.ranked()[:limit], start=1):
        task = {"data": {"mlpkg_id": c.id, "title": c.title or "", "text": c.text},
                "meta": {"rank": rank, "priority": round(c.priority, 4), "queue_tag": c.tag, "reasons": c.reasons}}
        if c.scores:
            predicted = [t for t, p in c.scores.items() if p >= thresholds.get(t, 0.5)]
            task["predictions"] = [{
                "model_version": f"{session.model_name}:{session.model_hash}",
                "score": round(max(c.scores.values()), 4),
                "result": [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
                            "value": {"choices": predicted}}]}]
        tasks.append(task)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_text(output, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    config = output.with_name("label_config.xml")
    write_text(config, label_config(session.tags))
    return {"tasks": len(tasks), "output": str(output), "label_config": str(config)}


def _annotator(annotation: dict) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    return f"labelstudio:{who if who not in (None, '') else 'unknown'}"


def _decision(annotation: dict, tags: list[str]) -> tuple[list[str], bool, str]:
    chosen, unsure, reason = [], False, ""
    for result in annotation.get("result") or []:
        value = result.get("value") or {}
        if result.get("type") == "choices" and result.get("from_name") == FROM_NAME:
            chosen = [t for t in value.get("choices", [])]
        elif result.get("type") == "choices" and result.get("from_name") == CONFIDENCE_NAME:
            unsure = "unsure" in value.get("choices", [])
        elif result.get("type") == "textarea" and result.get("from_name") == REASON_NAME:
            reason = " ".join(value.get("text") or []).strip()
    bad = [t for t in chosen if t not in tags]
    if bad:
        raise DataError(f"Label Studio choice {bad[0]!r} is not one of the tags {tags}")
    return chosen, unsure, reason


def import_annotations(export: str | Path, labels: str | Path, tags: list[str]) -> dict:
    """Append the decisions of a Label Studio JSON export to ``labels``; returns counts."""
    export = Path(export)
    try:
        tasks = json.loads(export.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{export}: not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise DataError(f"{export}: expected a JSON list of tasks, got {type(tasks).__name__}")
    live = LabelLog(Path(labels)).live() if Path(labels).exists() else {}
    counts = {"imported": 0, "unchanged": 0, "no_annotation": 0}
    for n, task in enumerate(tasks, start=1):
        data = task.get("data") or {}
        id_ = data.get("mlpkg_id") or data.get("id")
        if not isinstance(id_, (str, int)) or not isinstance(data.get("text"), str):
            raise DataError(f"{export}: task {n} has no data.mlpkg_id and data.text (export it from tasks that "
                            "`mlpkg label export-ls` wrote)")
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not done:
            counts["no_annotation"] += 1
            continue
        latest = max(done, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
        try:
            chosen, unsure, reason = _decision(latest, tags)
        except DataError as exc:
            raise DataError(f"{export}: task {n} (id {id_!r}): {exc}") from None
        id_ = str(id_)
        previous = live.get(id_)
        if previous is not None and sorted(previous.data.get("tags", [])) == sorted(chosen) and \
                previous.data.get("annotator") == _annotator(latest):
            counts["unchanged"] += 1
            continue
        append_event(labels, {
            "action": "label", "id": id_, "tags": [t for t in tags if t in chosen],
            "rejected": [t for t in tags if t not in chosen], "confidence": "low" if unsure else "high",
            "reason": reason, "annotator": _annotator(latest), "model": None, "model_hash": None,
            "queue_tag": None, "title": data.get("title"), "text": data["text"],
            "source": f"labelstudio:{export.name}"})
        counts["imported"] += 1
    return counts
