"""Public id forms. Core ids are integers; each dialect shows them with its own prefix.

The operator surface accepts any dialect's form (``ev_12``, ``evt_12``, ``12``) for the
same row, so the prefixes are declared here once, as data.
"""

from __future__ import annotations

import re

PREFIXES: dict[str, tuple[str, ...]] = {
    "event": ("ev_", "evt_"),
    "event_series": ("es_",),
    "ticket_type": ("tt_", "tkt_"),
    "ticket_group": ("tg_",),
    "order": ("or_", "ord_"),
    "issued_ticket": ("it_", "att_"),
    "check_in": ("chk_",),
    "line_item": ("li_",),
    "webhook_subscription": ("whsub_",),
    "webhook_delivery": ("whdel_",),
    "api_key": ("key_",),
    "product": ("pr_",),
    "discount": ("dc_",),
    "voucher": ("vo_",),
    "voucher_code": ("vc_",),
    "waitlist_signup": ("ws_",),
}
_NUMBER = re.compile(r"[1-9][0-9]{0,17}")


def parse_id(kind: str, text: str) -> int | None:
    """The integer behind ``text`` if it is a valid id form for ``kind``, else None."""
    for prefix in PREFIXES[kind]:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return int(text) if _NUMBER.fullmatch(text) else None


def format_id(prefix: str, number: int) -> str:
    return f"{prefix}{number}"
