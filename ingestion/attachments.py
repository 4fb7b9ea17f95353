"""Screenshots from the web form: type sniffed from the bytes, images re-encoded without metadata."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse images that would decompress into something enormous (about 40 megapixels).
Image.MAX_IMAGE_PIXELS = 40_000_000

ALLOWED_TYPES = {
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
}


_TYPE_OF_EXT = {ext: content_type for content_type, exts in ALLOWED_TYPES.items() for ext in exts}


class AttachmentRejected(ValueError):
    pass


@dataclass(frozen=True)
class CleanAttachment:
    filename: str
    content_type: str
    ext: str
    data: bytes


def sniff_type(head: bytes) -> str | None:
    """The real type from the magic bytes, whatever the name or the browser says."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


# ISO base media brands of HEIF/HEIC (iPhone and many Android cameras) and AVIF photos.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"avif"}


def is_heif(head: bytes) -> bool:
    """An iPhone-style photo: its customer needs to be told what to do, not what the file is not."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def clean_attachment(*, filename: str, data: bytes, max_bytes: int) -> CleanAttachment:
    if len(data) > max_bytes:
        raise AttachmentRejected(
            f"“{filename}” is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes // 1_048_576} MB."
        )
    if not data:
        raise AttachmentRejected(f"“{filename}” is empty.")
    content_type = sniff_type(data[:16])
    if content_type is None and is_heif(data[:16]):
        raise AttachmentRejected(
            f"“{filename}” is an iPhone-style HEIC photo, which we cannot open. "
            "Please attach a screenshot of it, or a copy saved as JPEG."
        )
    if content_type is None:
        raise AttachmentRejected(f"“{filename}” is not a PNG, JPEG, WebP or PDF file.")
    # The bytes decide, not the name: phones and browsers save JPEGs as .jfif or .png, screenshots
    # arrive renamed, and a customer cannot fix that from a phone. What is stored is safe either
    # way (images are decoded and encoded again, a PDF is kept as a PDF); the stored name gets the
    # extension of what the file really is.
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise AttachmentRejected(f"“{filename}” is not a complete PDF file.")
        return CleanAttachment(filename=_named_as(filename, "pdf"), content_type=content_type, ext="pdf", data=data)
    return _reencode_image(filename=filename, data=data, content_type=content_type)


def _reencode_image(*, filename: str, data: bytes, content_type: str) -> CleanAttachment:
    """Decode and encode again: drops EXIF (GPS!), comments and anything hidden after the image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)  # keep the orientation the EXIF described
            out = io.BytesIO()
            if content_type == "image/jpeg":
                image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
                ext = "jpg"
            elif content_type == "image/webp":
                image.save(out, format="WEBP", quality=90)
                ext = "webp"
            else:
                if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
                    image = image.convert("RGBA")
                image.save(out, format="PNG", optimize=False)
                ext = "png"
    except Image.DecompressionBombError as exc:
        raise AttachmentRejected(
            f"“{filename}” is too large an image for us to open. Please attach a screenshot or a smaller copy."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected(f"“{filename}” is not a readable image.") from exc
    return CleanAttachment(filename=_named_as(filename, ext), content_type=content_type, ext=ext, data=out.getvalue())


def _named_as(filename: str, ext: str) -> str:
    """The customer's file name, made safe, ending in the extension of what the file is."""
    name = _safe_name(filename)
    stem, dot, current = name.rpartition(".")
    if dot and stem and current.lower() in ALLOWED_TYPES[_TYPE_OF_EXT[ext]]:
        return name  # already right ("IMG_0042.JPEG" stays as the customer named it)
    base = (stem if dot else name) or "attachment"
    return f"{base[: 99 - len(ext)]}.{ext}"


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:100] or "attachment"
