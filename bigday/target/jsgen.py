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
    var timer = null, then = fn || function () {{ return {b}; }};
    return function () {{
      var args = arguments, self = this;
      if (timer) {{ clearTimeout(timer); }}
      timer = setTimeout(function () {{ timer = null; then.apply(self, args); }}, wait || {b});
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
    (items || [{{ status: "s{b}" }}, null]).forEach(function (item) {{
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
# The app's own chunks run their self-test in slices of about 8 ms, each a timer task of its own (none in
# the script's evaluation, which parsing a 100-200 KB chunk already makes long enough), as a
# well-behaved bundle yields to the main thread: a page without knobs has no long task (on a quiet machine),
# and since the probe's settle wait follows timer chains, the test is done (nothing downloaded stays unused)
# before the probe looks. extra_js padding runs at once, like a bloated bundle.
_RUN_SLICED = (
    "  setTimeout(function step() {{\n"
    "    var until = performance.now() + 8;\n"
    "    do {{ run(1); }} while (k < fns.length && performance.now() < until);\n"
    "    if (k < fns.length) {{ setTimeout(step, 0); }}\n"
    "  }}, 0);\n"
)


def generate_module(label: str, target_bytes: int, seed: str, sliced: bool = False, run: bool = True) -> str:
    """An IIFE of ``target_bytes`` (ASCII) that defines utility functions and runs each of them once (or, with
    ``run=False``, never: code the page downloads and parses for nothing, the unused_js knob)."""
    rng = random.Random(seed)
    head = f'/* {label} */\n(function (registry) {{\n  "use strict";\n'
    tail_tpl = (
        "  var names = [{names}];\n"
        "  var fns = [{fns}];\n"
        "  for (var i = 0; i < fns.length; i++) {{ registry[names[i]] = fns[i]; }}\n"
        "  var k = 0;\n"
        "  function run(n) {{\n"
        "    for (var end = Math.min(fns.length, k + n); k < end; k++) {{\n"
        # A returned closure (a debounced function) is part of what the self-test runs.
        "      try {{ var made = fns[k](); if (typeof made === 'function') {{ made(); }} registry.__ran += 1; }}\n"
        "      catch (e) {{ registry.__errors += 1; }}\n"
        "    }}\n"
        "  }}\n"
        + ((_RUN_SLICED if sliced else _RUN_NOW) if run else "")
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
            label = "bigday vendor bundle: utility library"
            parts.append(generate_module(label, filler, f"vendor:{name}", sliced=True))
        else:
            label = f"bigday {name} chunk: generated helpers"
            parts.append(generate_module(label, filler, f"chunk:{name}", sliced=True))
            parts.append((STATIC_DIR / f"{name}.js").read_text(encoding="utf-8"))
        out[name] = Chunk(name, "\n".join(parts).encode("ascii"))
    return out


@lru_cache(maxsize=32)
def padding(kb: int) -> bytes:
    """Exactly ``kb`` × 1000 bytes of code that runs when the chunk is evaluated (the extra_js knob)."""
    if kb <= 0:
        return b""
    return generate_module(f"extra_js padding: {kb} KB", kb * 1000, f"pad:{kb}").encode("ascii")


@lru_cache(maxsize=32)
def unused_code(kb: int) -> bytes:
    """Exactly ``kb`` × 1000 bytes of functions that are defined but never called (the unused_js knob)."""
    if kb <= 0:
        return b""
    return generate_module(f"unused_js: {kb} KB never called", kb * 1000, f"unused:{kb}", run=False).encode("ascii")


@lru_cache(maxsize=32)
def unused_rules(kb: int) -> bytes:
    """Exactly ``kb`` × 1000 bytes of CSS rules for classes no page uses (the unused_css knob)."""
    if kb <= 0:
        return b""
    rng = random.Random(f"css:{kb}")
    out, n, target = [], 0, kb * 1000
    size = 0
    while True:
        rule = (
            f".unused-{n} {{ margin: {rng.randrange(1, 40)}px; color: #{rng.randrange(0x1000000):06x}; "
            f"border: 1px solid #{rng.randrange(0x1000000):06x}; }}\n"
        )
        if size + len(rule) > target - 8:
            break
        out.append(rule)
        size += len(rule)
        n += 1
    text = "".join(out)
    pad = target - len(text)
    return (text + ("/*" + "-" * (pad - 5) + "*/\n" if pad >= 5 else " " * pad)).encode("ascii")


@lru_cache(maxsize=32)
def busy_script(ms: int) -> bytes:
    """A script that holds the main thread ``ms`` ms when it runs (the third_party knob's other-site script)."""
    return (
        f"/* third_party: another site's script busy for {ms} ms */\n"
        f"(function () {{ var t = performance.now(); while (performance.now() - t < {ms}) {{}} }})();\n"
    ).encode("ascii")


@lru_cache(maxsize=1)
def blocking_script() -> bytes:
    """A small script that runs at once, for the blocking_script knob (loaded in the head without defer)."""
    return generate_module("blocking_script: a synchronous head script", 8_000, "blocking").encode("ascii")
