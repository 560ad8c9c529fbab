"""Evaluation indices: 对监管的监管 (how well each department and region supervises) and 营商环境监测.

* :mod:`.config` — the indicator system as configuration (``config/indicators.yaml``).
* :mod:`.periods`, :mod:`.regions`, :mod:`.workdays` — the three axes: periods, the region tree, working days.
* :mod:`.indicators` — one builder per indicator (pure functions over DataFrames) and the roll-up to
  department × region level × period numerators and denominators.
* :mod:`.scoring` — normalisation, weighted composites, rankings and period-over-period change.
* :mod:`.report` — the self-contained HTML report (inline SVG charts).
* :mod:`.job` — :func:`run`, which reads the staging tables and writes the gold tables and the report.

See ``docs/evaluation.md``.
"""
