"""A local stand-in for the AWS services the workshop touches.

moto is the control plane. This package adds what moto lacks: a Lambda runtime
without Docker, a VPC network and PrivateLink model, Amazon Bedrock, and IAM
policy evaluation. `python -m sandbox --help` is its command line.
"""

ACCOUNT_ID = "123456789012"  # moto's default account
