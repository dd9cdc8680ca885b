"""What each background job does, in words an IT administrator reads on the jobs page (/manage/jobs), keyed by
the job's Python path: the lookup. Each app declares the words of its own jobs in `<app>/labels.py`
(`JOB_LABELS`); kiban/core/tests/test_job_labels.py finds every `@job` in the sources and fails on one without
words, or with words declared by another app."""

from __future__ import annotations

from kiban.core import labels_registry


def labels() -> dict:
    return labels_registry.gathered("JOB_LABELS")


def job_label(task_path: str, default: str | None = None) -> str:
    """The words for a job; without any (a job of an older version still queued): `default`, or the path."""
    label = labels().get(task_path)
    if label:
        return str(label)
    return task_path if default is None else default
