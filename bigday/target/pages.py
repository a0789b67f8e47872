"""HTML for the five critical paths; runs on a tenant's worker thread."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from bigday.target.data import TenantData
from bigday.target.images import HERO_ALTS, HERO_SIZE
from bigday.target.knobs import Knobs


@dataclass(frozen=True)
class PageSpec:
    """One page: its path, the key of its hero and page script, its JS chunk, title and intro."""

    path: str
    key: str
    chunk: str
    title: str
    lede: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("/dashboard", "dashboard", "dashboard", "Dashboard", "This season at a glance."),
    PageSpec("/clients", "clients", "dashboard", "Clients", "Every couple you work with, searchable."),
    PageSpec("/forms/new", "forms", "forms", "New client", "Add a couple and their wedding day."),
    PageSpec("/timeline/edit", "timeline", "forms", "Wedding-day timeline", "Plan the day, minute by minute."),
    PageSpec("/photos/gallery", "gallery", "dashboard", "Photo gallery", "Deliver and select the best shots."),
)
PAGE_BY_PATH = {p.path: p for p in PAGES}


@dataclass(frozen=True)
class GalleryPhoto:
    """A photo shown in a tenant's gallery."""

    id: str
    url: str
    width: int
    height: int
    alt: str
    format: str
    srcset: str = ""  # renditions by width; the page then shows the first of them, not ``url``


@dataclass(frozen=True)
class PageContext:
    """What a page render needs beyond the tenant's data."""

    spec: PageSpec
    data: TenantData
    knobs: Knobs  # in effect for this request
    sub_query: str  # tenant + explicit knob overrides, appended to sub-resource URLs
    other_site: str = ""  # this server under another site's name, for the third_party knob
    photos: tuple[GalleryPhoto, ...] = ()
    rum_tag: str = ""  # the field-beacon snippet (the rum knob), last in the body


def _json_script(element_id: str, value: object) -> str:
    # "<" escaped so no value can close the script element.
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script id="{element_id}" type="application/json">{text}</script>'


def _nav(ctx: PageContext) -> str:
    q = urlencode({"tenant": ctx.data.tenant.id})
    items = []
    for p in PAGES:
        current = ' aria-current="page"' if p.path == ctx.spec.path else ""
        items.append(f'<li><a href="{p.path}?{q}"{current}>{escape(p.title)}</a></li>')
    return f'<nav class="site-nav" aria-label="Main"><ul>{"".join(items)}</ul></nav>'


def _banner(ctx: PageContext) -> str:
    nw = ctx.data.next_wedding
    return (
        '<section id="shift-victim" aria-labelledby="today-title">'
        '<h2 id="today-title">Today</h2>'
        f"<p>{ctx.data.tenant.concurrent_weddings} weddings in progress this weekend.</p>"
        f"<p>Next up: {escape(nw.couple)} at {escape(nw.venue)} on {nw.wedding_date}.</p>"
        "</section>"
    )


def render_page(ctx: PageContext) -> str:
    spec, tenant = ctx.spec, ctx.data.tenant
    q = escape(ctx.sub_query)
    config = {"page": spec.key, "tenant": tenant.id, "query": ctx.sub_query, "knobs": ctx.knobs.as_dict()}
    w, h = HERO_SIZE
    body = _BODIES[spec.key](ctx)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(spec.title)} · {escape(tenant.name)}</title>
<meta name="description" content="{escape(spec.lede)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/css/app.css{_css_query(ctx, q)}">
{_json_script("bigday-config", config)}
{_blocking_script(ctx, q)}{_third_party(ctx, q)}<script defer src="/static/js/vendor.js?{q}"></script>
<script defer src="/static/js/main.js?{q}"></script>
<script defer src="/static/js/{spec.chunk}.js?{q}"></script>
</head>
<body data-page="{spec.key}">
<a class="skip-link" href="#content">Skip to main content</a>
<header class="site-header">
<p class="brand">{escape(tenant.name)}<small>{escape(tenant.plan.title())} studio</small></p>
{_nav(ctx)}
</header>
<main id="content">
{_banner(ctx)}
<div class="banner-slot"></div>
<div class="container">
<h1>{escape(spec.title)}</h1>
<p class="lede">{escape(spec.lede)}</p>
{_hero(ctx, q, w, h)}
{body}
</div>
</main>
<footer class="site-footer"><p>{escape(tenant.name)} · bigday reference app</p>{_violations(ctx)}</footer>
{ctx.rum_tag}</body>
</html>
"""


# What a script-drawn hero says: enough large text to fill the hero's 2:1 box, so it is the page's LCP element.
_DRAWN_HERO_TEXT = (
    "Every wedding day is a story told in a few hundred photographs. "
    "Plan the shot list, share the timeline and deliver the gallery without a single lost file. "
    "Couples choose their favourites, planners see the day minute by minute, and the studio keeps it all in one place."
)


def rum_tag(endpoint: str, key: str, tenant: str, route: str, visit: int) -> str:
    """The snippet as an app includes it: the collector's script (``GET /rum/rum.js`` next to ``endpoint``)
    with the site's key, the tenant, the page's route template and the visit's label. No integrity hash: the
    target cannot read the collector's bytes (``bigday rum snippet`` prints the tag with one)."""
    script = endpoint.rsplit("/", 1)[0] + "/rum/rum.js"
    attrs = {
        "src": script,
        "data-key": key,
        "data-endpoint": endpoint,
        "data-tenant": tenant,
        "data-route": route,
        "data-visit": str(visit),
    }
    return "<script async" + "".join(f' {k}="{escape(v)}"' for k, v in attrs.items()) + "></script>\n"


def _css_query(ctx: PageContext, q: str) -> str:
    # Only a page with unused_css asks for its stylesheet with the knobs; every other shares one cached URL.
    return f"?{q}" if ctx.knobs.unused_css else ""


def _third_party(ctx: PageContext, q: str) -> str:
    if not ctx.knobs.third_party or not ctx.other_site:
        return ""
    return f'<script defer src="{escape(ctx.other_site)}/static/js/third-party.js?{q}"></script>\n'


def _blocking_script(ctx: PageContext, q: str) -> str:
    return f'<script src="/static/js/blocking.js?{q}"></script>\n' if ctx.knobs.blocking_script else ""


def _hero(ctx: PageContext, q: str, w: int, h: int) -> str:
    """The hero: the photo (its LCP element), or, with timer_hero / raf_hero, a box of text drawn by script.

    The drawn hero needs no request: a timer (or the first animation frame at or after the knob's time, in a
    chain of frames started at parse time) fills the reserved box, so only the page's own clock decides when
    the LCP element appears."""
    spec, knobs = ctx.spec, ctx.knobs
    if not (knobs.timer_hero or knobs.raf_hero):
        folder = "hero-redirect" if knobs.redirect else "hero"
        loading = 'loading="lazy"' if knobs.lcp_lazy else 'fetchpriority="high"'
        return (
            f'<img id="hero" src="/static/img/{folder}/{spec.key}.jpg?{q}" width="{w}" height="{h}" '
            f'alt="{escape(HERO_ALTS[spec.key])}"\n {loading}>'
        )
    text = json.dumps(f"<p>{escape(_DRAWN_HERO_TEXT)}</p>").replace("<", "\\u003c")
    if knobs.raf_hero:
        schedule = (
            "requestAnimationFrame(function step(t) {\n"
            "    if (t >= at) { draw(); } else { requestAnimationFrame(step); }\n  });"
        )
        at = knobs.raf_hero
    else:
        schedule = "setTimeout(draw, Math.max(0, at - performance.now()));"
        at = knobs.timer_hero
    return f"""<div id="hero" class="hero-drawn"></div>
<script>(function () {{
  var el = document.getElementById("hero"), at = {at};
  function draw() {{ el.innerHTML = {text}; el.setAttribute("data-drawn", String(Math.round(performance.now()))); }}
  {schedule}
}})();</script>"""


def _violations(ctx: PageContext) -> str:
    """The a11y knob: three failures Lighthouse's accessibility category weighs (image-alt 10, button-name 10,
    color-contrast 7), in the footer so nothing above it moves."""
    if not ctx.knobs.a11y:
        return ""
    return (
        '<img class="badge" src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="'
        ' width="16" height="16">'
        '<button type="button" class="icon-btn"></button>'
        '<p class="faint">Made with care by the studio.</p>'
    )


def _dashboard(ctx: PageContext) -> str:
    d = ctx.data
    stats = d.stats()
    months = d.monthly_bookings()
    cards = [
        ("clients", "Clients"),
        ("weddings", "Weddings this weekend"),
        ("booked", "Booked"),
        ("planning", "In planning"),
    ]
    card_html = "".join(
        f'<li class="stat"><span class="stat-label">{label}</span>'
        f'<span class="stat-value" data-stat="{key}">{stats[key]:,}</span></li>'
        for key, label in cards
    )
    peak = max(v for _, v in months) or 1
    bars = []
    for i, (name, v) in enumerate(months):
        bh = round(v / peak * 140)
        x = 20 + i * 58
        bars.append(
            f'<rect x="{x}" y="{150 - bh}" width="36" height="{bh}"><title>{name}: {v} weddings</title></rect>'
            f'<text x="{x + 4}" y="168">{name}</text>'
        )
    upcoming = sorted(d.clients, key=lambda c: c.wedding_date)[:8]
    rows = "".join(
        f"<tr><td>{escape(c.couple)}</td><td>{c.wedding_date}</td><td>{escape(c.venue)}</td>"
        f"<td>{escape(c.package)}</td></tr>"
        for c in upcoming
    )
    return f"""<h2>This season</h2>
<ul class="stats">{card_html}</ul>
<p><button type="button" id="refresh-stats" class="btn">Refresh figures</button></p>
<p id="refresh-status" class="status" role="status" aria-live="polite"></p>
<h2 id="chart-title">Weddings booked per month</h2>
<svg id="bookings-chart" class="chart" viewBox="0 0 720 180" width="720" height="180" role="img"
 aria-labelledby="chart-title">{"".join(bars)}</svg>
<h2>Upcoming weddings</h2>
<table><caption>The next eight weddings</caption>
<thead><tr><th scope="col">Couple</th><th scope="col">Date</th><th scope="col">Venue</th>
<th scope="col">Package</th></tr></thead>
<tbody>{rows}</tbody></table>
{_json_script("dashboard-data", {"stats": stats, "months": months})}"""


def _clients(ctx: PageContext) -> str:
    return """<h2>All clients</h2>
<div class="search-row">
<label for="client-search">Search clients</label>
<input type="search" id="client-search" name="q" autocomplete="off" placeholder="Couple or venue">
</div>
<p id="client-count" class="count" role="status" aria-live="polite">Loading clients…</p>
<div id="client-scroller" class="scroller" tabindex="0" role="region" aria-label="Client list">
<div id="client-spacer" class="spacer"><ul id="client-list" class="client-list"></ul></div>
</div>"""


def _forms(ctx: PageContext) -> str:
    return """<div class="form-grid">
<form id="new-client-form" action="#" novalidate>
<h2>Couple</h2>
<div class="field"><label for="couple-name">Couple's names</label>
<input type="text" id="couple-name" name="couple" autocomplete="off" aria-describedby="couple-name-hint">
<p id="couple-name-hint" class="hint">Write both names, joined by &amp;.</p></div>
<div class="field"><label for="couple-email">Email</label>
<input type="email" id="couple-email" name="email" autocomplete="email"></div>
<h2>Wedding</h2>
<div class="field"><label for="wedding-date">Wedding date</label>
<input type="date" id="wedding-date" name="wedding_date"></div>
<div class="field"><label for="venue">Venue</label>
<select id="venue" name="venue"><option>Rosewood Manor</option><option>The Old Mill</option>
<option>Lakeside Pavilion</option><option>Willow Barn</option></select></div>
<fieldset><legend>Package</legend>
<label><input type="radio" name="package" value="essentials" checked> Essentials</label>
<label><input type="radio" name="package" value="classic"> Classic</label>
<label><input type="radio" name="package" value="signature"> Signature</label>
</fieldset>
<div class="field"><label for="notes">Notes</label>
<textarea id="notes" name="notes" rows="3"></textarea></div>
<p><button type="submit" class="btn">Save draft</button></p>
<p id="form-status" class="status" role="status" aria-live="polite"></p>
</form>
<aside class="preview" aria-labelledby="preview-title">
<h2 id="preview-title">Preview</h2>
<p id="preview-couple" class="preview-couple">Your couple's names</p>
<p>Welcome pack and questionnaire go out when you save.</p>
</aside>
</div>"""


def _timeline(ctx: PageContext) -> str:
    nw = ctx.data.next_wedding
    items = "".join(
        f'<li class="timeline-item"><span class="timeline-time">{e.time}</span>'
        f'<span class="timeline-title">{escape(e.title)}</span></li>'
        for e in ctx.data.timeline
    )
    return f"""<h2>{escape(nw.couple)} · {nw.wedding_date}</h2>
<ol id="timeline-list" class="timeline">{items}</ol>
<form class="add-event" action="#" onsubmit="return false">
<div class="field"><label for="event-time">Time</label>
<input type="time" id="event-time" name="time" value="20:30"></div>
<div class="field"><label for="event-title">What happens</label>
<input type="text" id="event-title" name="title" value="Sparkler exit"></div>
<button type="button" id="add-event" class="btn">Add to timeline</button>
</form>
<p id="timeline-status" class="status" role="status" aria-live="polite"></p>"""


# A card is about 280 CSS px wide from 4 columns down to 2, the viewport's width on a phone.
GALLERY_SIZES = "(max-width: 640px) 100vw, 280px"


def _photo_source(p: GalleryPhoto) -> str:
    if not p.srcset:
        return f'src="{escape(p.url)}"'
    first = p.srcset.split(",", 1)[0].rsplit(" ", 1)[0]
    return f'src="{escape(first)}" srcset="{escape(p.srcset)}" sizes="{GALLERY_SIZES}"'


def _gallery(ctx: PageContext) -> str:
    cards = "".join(
        f'<li><figure class="photo-card" data-photo="{escape(p.id)}">'
        f'<img {_photo_source(p)} width="{p.width}" height="{p.height}" loading="lazy" alt="{escape(p.alt)}">'
        f"<figcaption>{escape(p.alt)} ({p.format})</figcaption></figure></li>"
        for p in ctx.photos
    )
    return f"""<h2>Latest wedding</h2>
<div class="gallery-tools">
<button type="button" id="select-all" class="btn" aria-pressed="false">Select all</button>
<p id="selection-status" class="status" role="status" aria-live="polite">0 photos selected</p>
</div>
<ul class="gallery" aria-label="Photos">{cards}</ul>"""


_BODIES = {
    "dashboard": _dashboard,
    "clients": _clients,
    "forms": _forms,
    "timeline": _timeline,
    "gallery": _gallery,
}
