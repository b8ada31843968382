"""The local cloud: Bazaar's whole AWS footprint on one machine, with no Docker.

moto is the AWS backend; this package adds what moto does not do: it deploys
``infra/template.yaml`` into moto, runs our Lambda handlers in-process when Step
Functions, SQS, S3, EventBridge or schedules call them, serves the REST API like API
Gateway's proxy integration, and emulates the API Gateway WebSocket API (including the
``@connections`` management API). Development tool only; never deployed.
"""
