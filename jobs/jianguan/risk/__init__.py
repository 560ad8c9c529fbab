"""Risk research and early warning (issue 7): indicators, the five Hubei models, credit classes A–D, warnings and
the clue lifecycle with disposal feedback. See ``docs/risk.md``.

* :mod:`jianguan.risk.config` — versioned weights, thresholds and lexicons (``config/*.yaml``);
* :mod:`jianguan.risk.inputs` — the silver tables read, and how rows find their entity (uscc);
* :mod:`jianguan.risk.indicators` — the indicator library;
* :mod:`jianguan.risk.models` — model scores and credit classes;
* :mod:`jianguan.risk.warnings`, :mod:`jianguan.risk.clues` — warnings with dedup, clue lifecycle;
* :mod:`jianguan.risk.job` — ``run(settings, logical_date, spark=None)``; :mod:`jianguan.risk.cli` — the CLI.
"""
