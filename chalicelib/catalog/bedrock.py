"""Amazon Bedrock, as the catalog uses it: one short text from one prompt (Converse API)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings


def converse(prompt: str) -> str | None:
    """The model's answer to ``prompt`` (``BAZAAR_BEDROCK_MODEL_ID``); None when Bedrock
    fails or answers nothing (the failure is logged)."""
    try:
        response = aws.client("bedrock-runtime").converse(
            modelId=get_settings().bedrock_model_id,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": 300, "temperature": 0.7},
        )
        blocks = response["output"]["message"]["content"]
        return " ".join(block["text"] for block in blocks if "text" in block).strip() or None
    except (BotoCoreError, ClientError, KeyError):
        logger.exception("Bedrock description failed; using the offline generator")
        return None
