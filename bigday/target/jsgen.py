"""Generated JavaScript: chunks of realistic weight whose code really runs (and extra_js padding)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Generated filler per chunk, in bytes; the hand-written code comes on top. Totals stay well under the
# scenario's budgets (main < 200 KB, vendor < 300 KB, forms < 150 KB, dashboard < 180 KB).
CHUNK_FILLER: dict[str, int] = {"main": 115_000, "vendor": 220_000, "forms": 84_000, "dashboard": 112_000}
CHUNKS: tuple[str, ...] = tuple(CHUNK_FILLER)

# Function bodies in the style of a small utility library; {n} makes each name unique, {a}/{b} vary constants.
_TEMPLATES: tuple[str, ...] = (
    """  function formatMoney{n}(value, symbol) {{
    var v = Math.round(Number(value || 0) * 100) / 100;
    var parts = v.toFixed(2).split(".");
    parts[0] = parts[0].replace(/\\B(?=(\\d{{3}})+(?!\\d))/g, ",");
    return (symbol || "\\u00a3") + parts.join(".") + (v > {a} ? "" : "");
  }}
""",
    """  function daysUntil{n}(iso, now) {{
    var t = Date.parse(iso || "2026-06-{b:02d}T12:00:00Z");
    var base = typeof now === "number" ? now : Date.UTC(2026, 0, 1);
    return Math.ceil((t - base) / 86400000) + {a} - {a};
  }}
""",
    """  function chunkArray{n}(items, size) {{
    var out = [], step = Math.max(1, size || {b});
    for (var i = 0; i < (items || []).length; i += step) {{ out.push(items.slice(i, i + step)); }}
    return out;
  }}
""",
    """  function slugify{n}(text) {{
    return String(text || "studio-{a}").toLowerCase().normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, {b} + 40);
  }}
""",
    """  function debounce{n}(fn, wait) {{
    var timer = null;
    return function () {{
      var args = arguments, self = this;
      if (timer) {{ clearTimeout(timer); }}
      timer = setTimeout(function () {{ timer = null; fn.apply(self, args); }}, wait || {b});
    }};
  }}
""",
    """  function checksum{n}(s) {{
    var h = {a} >>> 0;
    s = String(s || "bigday");
    for (var i = 0; i < s.length; i++) {{ h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0; }}
    return h.toString(16);
  }}
""",
    """  function groupBy{n}(items, key) {{
    var out = {{}};
    (items || []).forEach(function (item) {{
      var k = item && item[key || "status"] || "other-{b}";
      (out[k] = out[k] || []).push(item);
    }});
    return out;
  }}
""",
    """  function clamp{n}(v, lo, hi) {{
    var low = lo === undefined ? {b} : lo, high = hi === undefined ? {a} : hi;
    return Math.min(Math.max(Number(v) || 0, low), Math.max(low, high));
  }}
""",
    """  function parseTime{n}(hhmm) {{
    var m = /^(\\d{{1,2}}):(\\d{{2}})$/.exec(String(hhmm || "{c:02d}:{b:02d}"));
    return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
  }}
""",
    """  function escapeHtml{n}(s) {{
    return String(s === undefined ? "<b>{a}</b>" : s).replace(/[&<>"']/g, function (ch) {{
      return {{ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }}[ch];
    }});
  }}
""",
    """  function sumBy{n}(items, key) {{
    var total = 0, list = items || [{{ v: {a} }}, {{ v: {b} }}];
    for (var i = 0; i < list.length; i++) {{ total += Number(list[i][key || "v"]) || 0; }}
    return total;
  }}
""",
    """  function pluralise{n}(count, word) {{
    var w = word || "wedding";
    return count + " " + (count === 1 ? w : (/(s|x|ch)$/.test(w) ? w + "es" : w + "s")) + "{tail}";
  }}
""",
)


def _function(rng: random.Random, n: int) -> tuple[str, str]:
    template = rng.choice(_TEMPLATES)
    code = template.format(
        n=n,
        a=rng.randrange(10, 9999),
        b=rng.randrange(1, 28),
        c=rng.randrange(0, 24),
        tail="" if rng.random() < 0.9 else ".",
    )
    name = code.split("function ", 1)[1].split("(", 1)[0]
    return name, code


_RUN_NOW = "  run(fns.length);\n"
# The app's own chunks run their self-test in small idle-time batches, as a well-behaved bundle would, so
# that a page without knobs has no long task; extra_js padding runs at once, like a bloated bundle.
_RUN_IDLE = (
    "  var later = window.requestIdleCallback || function (f) {{ return setTimeout(f, 1); }};\n"
    "  (function step() {{ run(40); if (k < fns.length) {{ later(step); }} }})();\n"
)


def generate_module(label: str, target_bytes: int, seed: str, idle: bool = False) -> str:
    """An IIFE of ``target_bytes`` (ASCII) that defines utility functions and runs each of them once."""
    rng = random.Random(seed)
    head = f'/* {label} */\n(function (registry) {{\n  "use strict";\n'
    tail_tpl = (
        "  var names = [{names}];\n"
        "  var fns = [{fns}];\n"
        "  for (var i = 0; i < fns.length; i++) {{ registry[names[i]] = fns[i]; }}\n"
        "  var k = 0;\n"
        "  function run(n) {{\n"
        "    for (var end = Math.min(fns.length, k + n); k < end; k++) {{\n"
        "      try {{ fns[k](); registry.__ran += 1; }} catch (e) {{ registry.__errors += 1; }}\n"
        "    }}\n"
        "  }}\n"
        + (_RUN_IDLE if idle else _RUN_NOW)
        + "}})(window.__bigdayModules = window.__bigdayModules || {{ __ran: 0, __errors: 0 }});\n"
    )
    body: list[str] = []
    names: list[str] = []
    size = len(head) + len(tail_tpl)
    n = 0
    # Each function costs its code plus its name twice in the tail (quoted + bare, with separators).
    while True:
        name, code = _function(rng, n)
        extra = len(code) + 2 * len(name) + 6
        if size + extra > target_bytes:
            break
        body.append(code)
        names.append(name)
        size += extra
        n += 1
    tail = tail_tpl.format(names=", ".join(f'"{x}"' for x in names), fns=", ".join(names))
    text = head + "".join(body) + tail
    pad = target_bytes - len(text)
    if pad < 0:
        raise ValueError(f"generated module overshot its size by {-pad} bytes")
    # Fill the last few bytes with a comment (or spaces when there is no room for one) so the size is exact.
    filler = ("/*" + "-" * (pad - 5) + "*/\n") if pad >= 5 else " " * pad
    return text + filler


@dataclass(frozen=True)
class Chunk:
    """One JS chunk as served without padding."""

    name: str
    source: bytes


def build_chunks() -> dict[str, Chunk]:
    """The four chunks: hand-written app code plus generated, executed library code."""
    out = {}
    for name, filler in CHUNK_FILLER.items():
        parts = []
        if name == "vendor":
            parts.append(generate_module("bigday vendor bundle: utility library", filler, f"vendor:{name}", idle=True))
        else:
            parts.append(generate_module(f"bigday {name} chunk: generated helpers", filler, f"chunk:{name}", idle=True))
            parts.append((STATIC_DIR / f"{name}.js").read_text(encoding="utf-8"))
        out[name] = Chunk(name, "\n".join(parts).encode("ascii"))
    return out


@lru_cache(maxsize=32)
def padding(kb: int) -> bytes:
    """Exactly ``kb`` × 1000 bytes of code that runs when the chunk is evaluated (the extra_js knob)."""
    if kb <= 0:
        return b""
    return generate_module(f"extra_js padding: {kb} KB", kb * 1000, f"pad:{kb}").encode("ascii")
