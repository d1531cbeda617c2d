"""Reading a page number from a query string: anything odd means the first page."""

MAX_PAGE = 100_000


def page_number(text: str | None) -> int:
    """Read ?page=; digits of other scripts ("²", "٣"), negatives and absurd numbers mean page 1."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > 6:
        return 1
    return min(max(1, int(text)), MAX_PAGE)
