"""The API's cloud adapters: its reads of CloudWatch Logs, CloudWatch metrics and ECR
credentials over aioboto3 (the API itself never imports an AWS SDK). Only the API's
process wiring (`controller.api_main`, the sandbox) hands them to `create_app`."""
