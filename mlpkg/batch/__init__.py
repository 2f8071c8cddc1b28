"""Batch jobs (``mlpkg tag``, ``mlpkg summarize``): record reader, rejects, writers, resume, local workers, Ray."""

from .job import JobReport, TagOptions, run_job, summarize_job, tag_job
from .validate import REASONS

__all__ = ["REASONS", "JobReport", "TagOptions", "run_job", "summarize_job", "tag_job"]
