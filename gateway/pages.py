"""The public event page at ``/events/<box office>/<slug>``: what every dialect's event ``url``
(``publicUrl``) points at.

No key is needed and only live, published events are shown (a sold-out event is still
published); anything else is the same 404 page, so a draft's slug cannot be probed. One
statement reads the event with its visible ticket types and their live availability; the page
shows the date in the event's own time zone. ``/events/<box office>/es_<n>`` is an event
series' page (the Ticket Tailor series ``url``): its upcoming published dates, linked.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse

from core.events import available_sql, on_sale_now_sql
from core.models import SLUG_RE

SHOWN_STATUSES = ("published", "sold_out")
PAGE_SQL = f"""
SELECT e.title, e.description, e.starts_at, e.ends_at, e.timezone, e.venue_name, e.address, e.city,
       e.postal_code, e.country, e.currency, e.status, b.name AS box_office,
       coalesce((SELECT json_agg(json_build_object(
                   'name', tt.name, 'price', tt.price, 'available', {available_sql('tt')},
                   'on_sale', {on_sale_now_sql('tt', '$3')}) ORDER BY tt.sort_order, tt.id)
                 FROM ticket_types tt WHERE tt.event_id = e.id AND NOT tt.hidden
                   AND tt.status NOT IN ('hidden', 'admin_only')), '[]'::json)::text AS types
FROM events e JOIN box_offices b ON b.id = e.box_office_id
WHERE b.slug = $1 AND e.slug = $2 AND e.livemode AND e.status = ANY($4::text[])
"""
STYLE = ("body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
         "table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;"
         "text-align:left}.gone{color:#999}")


# an event series' page (Ticket Tailor's series url, /events/<box office>/es_<n>): its dates to come
SERIES_ID = re.compile(r"es_([1-9][0-9]{0,17})")
SERIES_SQL = """
SELECT s.name, s.timezone, b.name AS box_office,
       (SELECT json_agg(json_build_object('title', e.title, 'slug', e.slug, 'starts_at', e.starts_at)
                        ORDER BY e.starts_at, e.id)
        FROM events e WHERE e.series_id = s.id AND e.status = ANY($4::text[]) AND NOT e.hidden
          AND e.starts_at > $3)::text AS dates
FROM event_series s JOIN box_offices b ON b.id = s.box_office_id
WHERE b.slug = $1 AND s.id = $2 AND s.livemode
"""


async def event_page(pool: asyncpg.Pool, request: Request, now: datetime) -> HTMLResponse:
    office, slug = request.path_params["box_office"], request.path_params["slug"]
    series = SERIES_ID.fullmatch(slug)
    if series is not None and SLUG_RE.fullmatch(office):
        return await _series_page(pool, office, int(series.group(1)), now)
    row = None
    if SLUG_RE.fullmatch(office) and SLUG_RE.fullmatch(slug):  # anything else names no page (a NUL, say)
        async with pool.acquire() as conn:
            row = await conn.fetchrow(PAGE_SQL, office, slug, now, list(SHOWN_STATUSES))
    if row is None:
        return HTMLResponse(_page("Event not found", "<p>There is no such event.</p>"), 404)
    return HTMLResponse(_page(row["title"], _body(row)))


async def _series_page(pool: asyncpg.Pool, office: str, series_id: int, now: datetime) -> HTMLResponse:
    """A live series with an upcoming published date: its dates, each linking to its event's page."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SERIES_SQL, office, series_id, now, list(SHOWN_STATUSES))
    if row is None or row["dates"] is None:  # a draft series cannot be probed either
        return HTMLResponse(_page("Event not found", "<p>There is no such event.</p>"), 404)
    zone = ZoneInfo(row["timezone"])
    items = "".join(
        f'<li><a href="/events/{escape(office)}/{escape(d["slug"])}">'
        f'{escape(_when(datetime.fromisoformat(d["starts_at"]), zone))}</a></li>' for d in orjson.loads(row["dates"]))
    body = (f"<h1>{escape(row['name'])}</h1><ul class=\"dates\">{items}</ul>"
            f'<p class="office">{escape(row["box_office"])}</p>')
    return HTMLResponse(_page(row["name"], body))


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>'
            f"</head><body>{body}</body></html>")


def _body(row: Any) -> str:
    zone = ZoneInfo(row["timezone"])
    parts = [f"<h1>{escape(row['title'])}</h1>",
             f'<p class="when"><time datetime="{row["starts_at"].isoformat()}">'
             f"{escape(_when(row['starts_at'], zone))}</time> ({escape(row['timezone'])})</p>"]
    venue = ", ".join(escape(v) for v in (row["venue_name"], row["address"], row["city"], row["postal_code"],
                                          row["country"]) if v)
    if venue:
        parts.append(f'<p class="venue">{venue}</p>')
    if row["description"]:
        parts.append(f'<p class="description">{escape(row["description"])}</p>')
    parts.append(_types(orjson.loads(row["types"]), row["currency"]))
    parts.append(f'<p class="office">{escape(row["box_office"])}</p>')
    return "".join(parts)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%A %d %B %Y, %H:%M")


def _types(types: list[dict[str, Any]], currency: str) -> str:
    rows = "".join(_type_row(t, currency) for t in types)
    return ('<table class="tickets"><thead><tr><th>Ticket</th><th>Price</th><th>Available</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _type_row(t: dict[str, Any], currency: str) -> str:
    price = "Free" if t["price"] == 0 else f"{t['price'] / 100:.2f} {currency}"
    left = t["available"] if t["on_sale"] else 0
    state = f"{left} left" if left else ("Sold out" if t["available"] == 0 else "Not on sale")
    css = "" if left else ' class="gone"'
    return f"<tr{css}><td>{escape(t['name'])}</td><td>{escape(price)}</td><td>{state}</td></tr>"
