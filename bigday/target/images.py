"""Photo-like JPEG and WebP images drawn with Pillow at start-up (heroes and the gallery's stock photos)."""

from __future__ import annotations

import io
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import PIL
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from bigday.settings.cache import cached_blobs

HERO_SIZE = (1200, 600)


@dataclass(frozen=True)
class ImageAsset:
    """An encoded image with the facts the HTML needs (dimensions for layout, alt text)."""

    name: str
    data: bytes
    content_type: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class _Spec:
    name: str
    size: tuple[int, int]
    fmt: str
    quality: int
    noise: float
    seed: int
    alt: str


# Gallery stock: two JPEGs well over 200 KB (so the "convert to WebP" recommendation has something to find),
# two small JPEGs, and WebP photos.
GALLERY_SPECS: tuple[_Spec, ...] = (
    _Spec("g1.jpg", (1600, 1067), "JPEG", 92, 12, 11, "Bride and groom on a hillside at golden hour"),
    _Spec("g2.webp", (1200, 800), "WEBP", 78, 3, 12, "Guests throwing confetti outside the chapel"),
    _Spec("g3.jpg", (800, 533), "JPEG", 80, 6, 13, "Wedding rings resting on a bouquet"),
    _Spec("g4.webp", (1200, 800), "WEBP", 78, 3, 14, "First dance under festoon lights"),
    _Spec("g5.jpg", (1600, 1067), "JPEG", 92, 12, 15, "Wide view of the reception tables by the lake"),
    _Spec("g6.webp", (1200, 800), "WEBP", 78, 3, 16, "The couple walking through an orchard"),
    _Spec("g7.jpg", (800, 533), "JPEG", 80, 6, 17, "Three-tier wedding cake with fresh flowers"),
    _Spec("g8.webp", (1200, 800), "WEBP", 78, 3, 18, "Sparkler exit at the end of the night"),
)

HERO_ALTS: dict[str, str] = {
    "dashboard": "A couple laughing in a meadow, this week's featured wedding",
    "clients": "Rolling hills at a countryside wedding venue",
    "forms": "A signed wedding contract beside a bouquet",
    "timeline": "A ceremony arch set up on a lawn before the guests arrive",
    "gallery": "The latest wedding gallery's cover photo of a hillside portrait",
}


def draw_photo(size: tuple[int, int], seed: int, noise: float) -> Image.Image:
    """A landscape 'photo': sky gradient, sun, hills, trees; noise gives it a real photo's entropy."""
    w, h = size
    rng = random.Random(seed)
    ramp = Image.linear_gradient("L").resize((w, h))
    img = ImageOps.colorize(ramp, (rng.randrange(80, 140), rng.randrange(130, 190), 230), (250, 222, 190))
    d = ImageDraw.Draw(img)
    sun = h * rng.uniform(0.12, 0.2)
    sx, sy = w * rng.uniform(0.55, 0.85), h * rng.uniform(0.1, 0.25)
    d.ellipse((sx, sy, sx + sun, sy + sun), fill=(255, 240, 200))
    for k in range(3):
        base = h * (0.55 + 0.12 * k)
        pts = [(0.0, float(h))]
        for x in range(0, w + 40, 40):
            pts.append((float(x), base + rng.uniform(-h * 0.05, h * 0.05)))
        pts.append((float(w), float(h)))
        d.polygon(pts, fill=(40 + 20 * k, 110 - 15 * k + rng.randrange(20), 50 + 10 * k))
    for _ in range(10):
        tx, ty, s = rng.uniform(0, w), h * rng.uniform(0.5, 0.85), h * rng.uniform(0.04, 0.11)
        d.ellipse((tx - s, ty - 2 * s, tx + s, ty), fill=(30, rng.randrange(70, 110), 40))
    # Two figures in the foreground, the couple.
    cx = w * rng.uniform(0.3, 0.6)
    for dx, colour in ((0.0, (250, 250, 245)), (h * 0.07, (35, 35, 45))):
        x0 = cx + dx
        d.ellipse((x0, h * 0.58, x0 + h * 0.05, h * 0.63), fill=(220, 180, 150))
        d.polygon([(x0 - h * 0.02, h * 0.85), (x0 + h * 0.025, h * 0.63), (x0 + h * 0.07, h * 0.85)], fill=colour)
    img = img.filter(ImageFilter.BoxBlur(1))
    if noise:
        grain = Image.effect_noise((w, h), noise).convert("RGB")
        img = ImageChops.add(img, grain, 1.0, -128)
    return img


def encode(img: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, quality=quality)
    return buf.getvalue()


def _encoded(spec: _Spec) -> bytes:
    return encode(draw_photo(spec.size, spec.seed, spec.noise), spec.fmt, spec.quality)


def hero_specs() -> tuple[_Spec, ...]:
    return tuple(
        _Spec(f"{page}.jpg", HERO_SIZE, "JPEG", 78, 5, 100 + i, alt) for i, (page, alt) in enumerate(HERO_ALTS.items())
    )


CACHE_FORMAT = 1  # bump when draw_photo or encode change what they make


def _drawn(specs: tuple[_Spec, ...]) -> list[bytes]:
    """Each spec's encoded image: from the cache when it holds them, else drawn and cached. Drawing takes a
    core-second or more at every start of the target; what a drawing is (its size, format, entropy) is fixed by
    the spec, and only the grain's noise differs from one drawing to the next."""

    def draw() -> list[bytes]:
        with ThreadPoolExecutor(max_workers=4) as ex:
            return list(ex.map(_encoded, specs))

    return cached_blobs("target-images", (CACHE_FORMAT, PIL.__version__, specs), len(specs), draw)


def _asset(spec: _Spec, data: bytes) -> ImageAsset:
    ctype = "image/jpeg" if spec.fmt == "JPEG" else "image/webp"
    return ImageAsset(spec.name, data, ctype, spec.size[0], spec.size[1], spec.alt)


def make_images() -> tuple[dict[str, ImageAsset], dict[str, ImageAsset]]:
    """Heroes (by page key) and gallery stock (by file name); drawn in threads since Pillow releases the GIL,
    and kept between starts."""
    heroes, gallery = hero_specs(), GALLERY_SPECS
    specs = heroes + gallery
    made = [_asset(spec, data) for spec, data in zip(specs, _drawn(specs), strict=True)]
    hero_assets = {spec.name.rsplit(".", 1)[0]: a for spec, a in zip(heroes, made[: len(heroes)], strict=True)}
    gallery_assets = {a.name: a for a in made[len(heroes) :]}
    return hero_assets, gallery_assets


# Each gallery photo is also served in the widths its 3:2 card is drawn at (about 280 CSS px on a desktop,
# the full width of a phone at DPR 1.75 to 2), as WebP, for the gallery's srcset.
RENDITION_WIDTHS = (400, 800)


def rendition_name(name: str, width: int) -> str:
    return f"{name.rsplit('.', 1)[0]}-{width}w.webp"


def _rendition(asset: ImageAsset, width: int) -> ImageAsset:
    with Image.open(io.BytesIO(asset.data)) as original:
        height = round(original.height * width / original.width)
        small = original.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    data = encode(small, "WEBP", 78)
    return ImageAsset(rendition_name(asset.name, width), data, "image/webp", width, height, asset.alt)


def gallery_renditions(gallery: dict[str, ImageAsset]) -> dict[str, ImageAsset]:
    """The srcset renditions of every gallery photo, by file name (kept between starts like the originals)."""
    jobs = [(a, w) for a in gallery.values() for w in RENDITION_WIDTHS]

    def make() -> list[bytes]:
        with ThreadPoolExecutor(max_workers=4) as ex:
            return [r.data for r in ex.map(lambda job: _rendition(*job), jobs)]

    key = (CACHE_FORMAT, PIL.__version__, GALLERY_SPECS, RENDITION_WIDTHS)
    blobs = cached_blobs("target-renditions", key, len(jobs), make)
    out = {}
    for (asset, width), data in zip(jobs, blobs, strict=True):
        height = round(asset.height * width / asset.width)
        out[rendition_name(asset.name, width)] = ImageAsset(
            rendition_name(asset.name, width), data, "image/webp", width, height, asset.alt
        )
    return out


def hero_variant(page: str, variant: str) -> ImageAsset:
    """The hero of ``page`` as the heavy_image knob (a JPEG of over 200 KB, the same 1200x600) or the
    oversized_image knob (a WebP of 3600x1800: three times the pixels it is drawn at each way) serves it."""
    index = list(HERO_ALTS).index(page)
    if variant == "heavy":
        spec = _Spec(f"{page}.jpg", HERO_SIZE, "JPEG", 95, 14, 100 + index, HERO_ALTS[page])
        return _asset(spec, _encoded(spec))
    w, h = HERO_SIZE
    big = draw_photo(HERO_SIZE, 100 + index, 5).resize((w * OVERSIZE, h * OVERSIZE), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, "WEBP", quality=70, method=0)  # the fastest encoder setting: drawn on a request
    return ImageAsset(f"{page}.webp", buf.getvalue(), "image/webp", w * OVERSIZE, h * OVERSIZE, HERO_ALTS[page])


OVERSIZE = 3
