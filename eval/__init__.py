"""Offline evaluation of minutes-rag retrieval: datasets, metrics, runner, baseline, reports.

Entry points: ``eval.runner.run_eval``, ``eval.compare.compare`` and the ``rag eval`` command
(``eval.cli.register``). See eval/README.md.
"""
