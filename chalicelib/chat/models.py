"""The chat table: conversations, their messages, client message ids and unread totals.

===============  ======================  ========================  ============================
item             pk                      sk                        indexes
===============  ======================  ========================  ============================
Conversation     ``CONV#<conversation>``  ``META``                  gsi1 ``SHOPPER#<account>`` /
                                                                   gsi2 ``SHOP#<shop>``, both by
                                                                   last activity#conversation;
                                                                   gsi3 ``REPORTED`` / reported
                                                                   at#conversation (sparse)
Message          ``CONV#<conversation>``  ``MSG#<message id>``
Client id claim  ``CONV#<conversation>``  ``CMID#<sender>#<id>``    holds the server message id
Unread total     ``UNREAD#SHOPPER#<id>``  ``TOTAL``                 or ``UNREAD#SHOP#<shop>``
===============  ======================  ========================  ============================

History is a Query of the conversation's partition (``MSG#`` keys sort by time), an inbox
a Query of gsi1 or gsi2 newest first, the admin's list a Query of gsi3: nothing Scans.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

META_SK = "META"
MESSAGE_PREFIX = "MSG#"
TOTAL_SK = "TOTAL"
REPORTED = "REPORTED"


def conversation_pk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def message_sk(message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def client_id_sk(sender_id: str, client_message_id: str) -> str:
    return f"CMID#{sender_id}#{client_message_id}"


def shopper_inbox_pk(shopper_id: str) -> str:
    return f"SHOPPER#{shopper_id}"


def shop_inbox_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def unread_pk(side: str, owner_id: str) -> str:
    """``owner_id`` is the shopper's account or the shop."""
    return f"UNREAD#{side.upper()}#{owner_id}"


class ShopperInbox(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ShopInbox(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ReportedConversations(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


@bind_table("chat_table")
class Conversation(Model):
    class Meta:
        table_name = "chat"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META_SK)
    conversation_id = UnicodeAttribute()
    shopper_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    product_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_activity_at = UTCDateTimeAttribute()
    last_message_id = UnicodeAttribute(null=True)
    last_sender_id = UnicodeAttribute(null=True)
    last_preview = UnicodeAttribute(null=True)
    shopper_messages = NumberAttribute(default=0)
    shop_messages = NumberAttribute(default=0)
    shopper_read_count = NumberAttribute(default=0)
    shop_read_count = NumberAttribute(default=0)
    shopper_read_upto = UnicodeAttribute(null=True)
    shop_read_upto = UnicodeAttribute(null=True)
    blocked_by = UnicodeAttribute(null=True)
    blocked_at = UTCDateTimeAttribute(null=True)
    reported_by = UnicodeAttribute(null=True)
    reported_at = UTCDateTimeAttribute(null=True)
    report_reason = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    shopper_inbox = ShopperInbox()
    shop_inbox = ShopInbox()
    reported = ReportedConversations()


@bind_table("chat_table")
class Message(Model):
    class Meta:
        table_name = "chat"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    conversation_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    sender_side = UnicodeAttribute()
    kind = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()
    text = UnicodeAttribute(null=True)
    image_key = UnicodeAttribute(null=True)
    image_width = NumberAttribute(null=True)
    image_height = NumberAttribute(null=True)
    client_message_id = UnicodeAttribute(null=True)
    shopper_count = NumberAttribute(default=0)
    shop_count = NumberAttribute(default=0)


@bind_table("chat_table")
class ClientIdClaim(Model):
    """A sender's client message id, taken once: a resend finds the stored message."""

    class Meta:
        table_name = "chat"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    message_id = UnicodeAttribute()


@bind_table("chat_table")
class UnreadTotal(Model):
    """Unread messages over all of one shopper's (or one shop's) conversations."""

    class Meta:
        table_name = "chat"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TOTAL_SK)
    unread = NumberAttribute(default=0)
