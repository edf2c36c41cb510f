"""pyspark.ml Estimators, Model, Params and persistence."""
