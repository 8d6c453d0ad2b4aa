"""AWS Lambda facts the workshop relies on: the permissions a function needs to join a VPC, and the Python runtimes.

Data only. `utils` (the `enivpce-policy` check, the template test) and `sandbox` (Lambda's attach check, runtime
validation) read them from here.
"""

from __future__ import annotations

# The EC2 actions the execution role of a function in a VPC needs: Lambda creates, describes and deletes the
# function's network interfaces with them. AWS Lambda Developer Guide, "Giving Lambda functions access to resources
# in an Amazon VPC" (Required IAM permissions): the list is the one of the AWS managed policy
# AWSLambdaVPCAccessExecutionRole (AWS Managed Policy Reference, policy version v3, edited 2024-01-05), which
# added ec2:DescribeSubnets to the five earlier actions. Every one of them is granted on "Resource": "*" there;
# the Describe actions support no resource-level permissions at all.
VPC_ACCESS_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# Python runtimes as the AWS Lambda Developer Guide lists them ("Lambda runtimes", Supported runtimes; "Building
# Lambda functions with Python"), checked on 2026-11-30: identifier -> (operating system, deprecation date,
# block function create, block function update), dates in ISO form. After "block create" Lambda refuses the
# runtime in CreateFunction, after "block update" also in UpdateFunctionConfiguration and UpdateFunctionCode.
PYTHON_RUNTIMES = {
    "python3.14": ("Amazon Linux 2023", "2029-06-30", "2029-07-31", "2029-08-31"),
    "python3.13": ("Amazon Linux 2023", "2029-06-30", "2029-07-31", "2029-08-31"),
    "python3.12": ("Amazon Linux 2023", "2028-10-31", "2028-11-30", "2029-01-10"),
    "python3.11": ("Amazon Linux 2", "2026-06-30", "2026-07-31", "2026-08-31"),
    "python3.10": ("Amazon Linux 2", "2026-06-30", "2026-07-31", "2026-08-31"),
    "python3.9": ("Amazon Linux 2", "2025-12-15", "2026-02-03", "2026-03-09"),
}
# The newest Python runtime Lambda offers: the template's function uses it.
NEWEST_PYTHON_RUNTIME = "python3.14"
