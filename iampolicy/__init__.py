"""A pure IAM policy evaluator, shared by the sandbox (which enforces policies) and `utils` (which explains them).

It imports neither `sandbox` nor `utils`: a policy document and a request go in, a decision with its reasons
comes out. See `iampolicy.evaluator` for the rules and the AWS documentation pages they follow.
"""

from .evaluator import *  # noqa: F401,F403
from .evaluator import __all__  # noqa: F401
