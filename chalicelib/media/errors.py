"""Errors of the media capability."""

from __future__ import annotations

from chalicelib.core.errors import NotFoundError


class UploadNotFoundError(NotFoundError):
    """The object a notification named is not (or no longer) in the bucket."""

    code = "UPLOAD_NOT_FOUND"
