"""The yardstick for benchmarks/endpoint_throughput.py: a trivial Flask view
returning a small JSON, served by gunicorn with the same settings as the
report endpoint, so the endpoint's numbers can be given as ratios to it.

    python -m gunicorn --pythonpath benchmarks --workers 2 trivial_wsgi:app
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/trivial", methods=["GET", "POST"])
def trivial():
    return jsonify({"status": "ok"})


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})
