"""spark-submit entry point: `spark-submit jobs/fit.py --config CONF.toml [--set key=value ...]`.

Ship the package with `--py-files lasso_spark.zip` (or a wheel / packed venv); see README.md.
Exit codes: 0 success, 1 failure, 2 bad config, 3 bad input data.
"""

import os
import sys

try:
    from lasso_spark.cli import main
except ImportError:  # run from a source checkout without the package installed
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from lasso_spark.cli import main

if __name__ == "__main__":
    sys.exit(main(["fit", *sys.argv[1:]], prog="jobs/fit.py"))
