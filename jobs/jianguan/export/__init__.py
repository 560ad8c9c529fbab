"""The nightly national export (互联网＋监管 exchange): 质检, change detection, writers, manifest, ledger, receipts.

* :mod:`jianguan.export.layouts` — the export datasets compiled from ``schemas/exports/`` and the table specs;
* :mod:`jianguan.export.values` — rendering typed values as the national layout writes them;
* :mod:`jianguan.export.changes` — i/u/d since the last successful export, from the Delta change feed (driver);
* :mod:`jianguan.export.spark_changes` — the same records computed by Spark tasks, for large sources;
* :mod:`jianguan.export.quality` — 质检 before sending; failing records are held with reasons;
* :mod:`jianguan.export.writers` / :mod:`~jianguan.export.manifest` — deterministic files, atomic batch dirs;
* :mod:`jianguan.export.ledger` — batches, what was sent, receipts, resubmissions, holds (gold tables);
* :mod:`jianguan.export.verify` — ``jianguan export verify <dir>``;
* :mod:`jianguan.export.job` — ``run(settings, logical_date)``.

See ``docs/export.md``.
"""
