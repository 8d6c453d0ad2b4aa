"""Parity suite: AWS's recorded answers (LocalStack's AWS-validated snapshots) replayed against the sandbox."""
