"""Batch tagging (``mlpkg tag``): streaming readers and writers, validation into rejects,
chunked resumable jobs on local worker processes or on Ray.
"""

from .job import JobReport, TagOptions, run_job, tag_job
from .validate import REASONS

__all__ = ["REASONS", "JobReport", "TagOptions", "run_job", "tag_job"]
