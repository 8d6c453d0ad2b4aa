"""Plumbing for the Bedrock-over-PrivateLink workshop notebooks.

One module per concern: config, validation, target, models, policies, waiting,
display, explain, stack, endpoint, lambda_fn, inventory, widgets, studio, runner.
Modules are imported on use (``from utils import config``), so a kernel loads only
what it needs. ``python -m utils`` is the command line.
"""
