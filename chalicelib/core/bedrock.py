"""Amazon Bedrock: one short text from one prompt (the Converse API).

The one way capabilities draft text with a language model (product descriptions, review
improvement suggestions). Each is off by default and keeps an offline answer for when
Bedrock is not configured or fails.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings


def converse(prompt: str, *, max_tokens: int = 300, temperature: float = 0.7) -> str | None:
    """The model's answer to ``prompt`` (``BAZAAR_BEDROCK_MODEL_ID``); None when Bedrock
    fails or answers nothing (the failure is logged: callers use their offline text)."""
    try:
        response = aws.client("bedrock-runtime").converse(
            modelId=get_settings().bedrock_model_id,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": max_tokens, "temperature": temperature},
        )
        blocks = response["output"]["message"]["content"]
        return " ".join(block["text"] for block in blocks if "text" in block).strip() or None
    except (BotoCoreError, ClientError, KeyError):
        logger.exception("Bedrock failed; the offline text is used instead")
        return None
