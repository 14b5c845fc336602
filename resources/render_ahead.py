"""Render the PDFs missing from the caches (the packs' and the posters'),
side by side, one process per core, before the site's build asks for them
one at a time: a clean build renders about 50 of them, a second or two
each, and this machine has 2 cores (benchmarks/resource_build.py).  The build
then finds each in its cache."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from . import pdfs, posters


def local_labels(labels: dict, lang: str) -> dict[str, dict[str, str]]:
    """The catalog's labels (resources/labels.yml) in one language."""
    return {dim: {value: text[lang] for value, text in values.items()} for dim, values in labels.items()}


def missing(resources, labels) -> list[tuple]:
    """(function, arguments) for each PDF not in its cache, the longest first."""
    jobs = []
    for resource in resources:
        if resource.kind == "pack":
            for lang in resource.languages:
                local = local_labels(labels, lang)
                if not pdfs.is_cached(resource.pack, lang, local):
                    jobs.append((pdfs.build, (resource.pack, lang, local)))
    for resource in resources:
        if resource.kind == "poster":
            for lang in posters.LANGUAGES:
                # One job makes both sizes: A3 is drawn from the A4 PDF.
                if not all(posters.is_cached(resource.poster, lang, size) for size in posters.SIZES):
                    jobs.append((posters.build_all_sizes, (resource.poster, lang)))
    return jobs


def _run(job: tuple) -> None:
    function, arguments = job
    function(*arguments)


def render_missing(resources, labels) -> int:
    """Render what is missing; the number rendered."""
    jobs = missing(resources, labels)
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        # fork: the workers start with the catalog and WeasyPrint already loaded.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(_run, jobs))
    else:
        for job in jobs:
            _run(job)
    return len(jobs)
