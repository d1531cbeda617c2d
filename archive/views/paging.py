"""Reading a page number from a query string (anything odd means the first page), and linking a list's pages."""

from urllib.parse import urlencode

from flask import request

MAX_PAGE = 100_000


def page_number(text: str | None) -> int:
    """Read ?page=; digits of other scripts ("²", "٣"), negatives and absurd numbers mean page 1."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > 6:
        return 1
    return min(max(1, int(text)), MAX_PAGE)


def page_of(items: list, size: int) -> tuple[list, int, int]:
    """The slice of a whole list that this request's ?page= shows, with the page number (kept within the list) and
    how many pages there are (at least one)."""
    pages = max(1, -(-len(items) // size))
    page = min(page_number(request.args.get("page")), pages)
    return items[(page - 1) * size : page * size], page, pages


def link_header(page: int, pages: int) -> str:
    """The RFC 8288 Link header of a page of a list: first, prev, next and last, each an absolute URL that keeps
    every other query argument of this request (filters, sort), so a script can follow them without building URLs."""
    last = max(1, pages)
    wanted = [("first", 1), ("prev", page - 1 if page > 1 else None), ("next", page + 1 if page < last else None)]
    links = []
    for rel, number in [*wanted, ("last", last)]:
        if number is not None:
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"] + [("page", str(number))]
            links.append(f'<{request.base_url}?{urlencode(args)}>; rel="{rel}"')
    return ", ".join(links)
