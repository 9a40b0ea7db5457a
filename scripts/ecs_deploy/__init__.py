"""The ECS deploy behind `scripts/deploy`: preflight, register, migrate, roll out, clean up.

Each phase is a module; `pipeline.run` chains them and `cli.main` is the command line.
Only boto3/botocore and the standard library, so CI needs nothing beyond the service's lock file.
"""
