"""The ML core: synthetic data, training, inference, evaluation, calibration, speed.

Plain Python (torch, transformers, numpy, scikit-learn); nothing here imports Django, so every
piece runs from a script or a notebook as well as from the Celery tasks that wrap it.
"""
