"""Keeps pytest out of the benchmark: these modules measure, they do not assert."""

collect_ignore_glob = ["*"]
