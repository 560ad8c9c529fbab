"""双随机、一公开: credit-differentiated random inspection draws, joint visits, published results.

* :mod:`.plans` — plan definitions and the sampling configuration (``config/ratios.yaml``);
* :mod:`.seed` — the seed derived from a published value, and per-candidate selection keys;
* :mod:`.draw` — objects stratified by credit-risk class and item applicability, then inspectors (pure Python);
* :mod:`.joint` — 进一次门、查多项事: plans hitting the same entity in the same period become one visit;
* :mod:`.inputs` — candidate pools read with Spark from silver/gold;
* :mod:`.publish` — append-only gold tables; :mod:`.verify` — re-derive a published draw;
* :mod:`.results` — results linked back to draws, completion, the 一公开 list, per-entity features;
* :mod:`.job` — ``run(settings, logical_date)``; :mod:`.cli` — ``jianguan inspections draw|verify|results``.

See ``docs/inspection.md``.
"""
