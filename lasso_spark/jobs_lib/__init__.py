"""Library side of the jobs (fit, score, generate, demo): importable and testable.

``jobs/*.py`` and the ``lasso-spark`` console script are thin wrappers over
:func:`lasso_spark.cli.main`, which dispatches here.
"""
