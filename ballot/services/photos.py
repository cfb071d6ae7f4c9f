"""Photos attached to progress reports: checked for what they are, then re-encoded.

The file name and the browser's content type are never trusted. An upload must start with the
JPEG or PNG signature, stay under the size and pixel limits (checked from the header, before
Pillow decodes a single pixel, so a decompression bomb is refused cheaply), and decode cleanly.
What is stored is the server's own re-encoding, scaled to at most MAX_SIDE pixels a side: no
EXIF (a phone's GPS position), no trailing payload, nothing a browser could sniff as HTML.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ballot.domain.errors import N_, InvalidInput

MAX_BYTES = 3 * 1024 * 1024  # a request carries at most 4 MB (MAX_CONTENT_LENGTH)
MAX_PHOTOS = 4
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
MIMETYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class Photo:
    """A checked, re-encoded photo ready to store."""

    data: bytes
    mimetype: str
    width: int
    height: int


def _format(data: bytes) -> str | None:
    return next((fmt for magic, fmt in SIGNATURES.items() if data.startswith(magic)), None)


def normalise(data: bytes, name: str = "") -> Photo:
    """Check one uploaded photo and return the server's re-encoding; InvalidInput says why not."""
    label = name[:80] or "?"
    if len(data) > MAX_BYTES:
        raise InvalidInput(N_("照片“%(name)s”太大（%(size)s MB），每张不超过 %(max)s MB。"),
                           name=label, size=round(len(data) / 1048576, 1), max=MAX_BYTES // 1048576)
    fmt = _format(data)
    if fmt is None:
        raise InvalidInput(N_("“%(name)s”不是 JPEG 或 PNG 照片，请上传 JPG 或 PNG 格式的照片。"),
                           name=label)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(N_("照片“%(name)s”像素过多（%(width)s×%(height)s），请缩小后再上传。"),
                                   name=label, width=width, height=height)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            buffer = io.BytesIO()
            if fmt == "JPEG":
                image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True)
            else:
                keep = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
                image.convert(keep).save(buffer, "PNG", optimize=True)
            size = image.size
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise InvalidInput(N_("照片“%(name)s”已损坏或无法识别，请重新拍摄或导出后再上传。"),
                           name=label) from None
    return Photo(buffer.getvalue(), MIMETYPES[fmt], size[0], size[1])


def normalise_all(files: list[tuple[bytes, str]]) -> list[Photo]:
    """Check every upload (at most MAX_PHOTOS); the first bad one refuses them all."""
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(N_("每份报告最多附 %(max)s 张照片。"), max=MAX_PHOTOS)
    return [normalise(data, name) for data, name in files]
