"""The staff's list of records (`/records/`): every interview and item with filters, sort and page size, ticked for
a bulk change (previewed, then applied: plain forms, no script needed), and the CSV sheet of them all
(`/records/export.csv`). Staff only; anyone else is told there is nothing here."""

from __future__ import annotations

import datetime
import io
import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from .. import access
from ..i18n import N_
from ..i18n import translate as _
from ..spreadsheets import BULK_CHANGES, PAGE_SIZES, SORTS, Filters
from .forms.records import BulkForm
from .loaders import services
from .paging import link_header, page_of

bp = Blueprint("records", __name__, url_prefix="/records")

SORT_NAMES = {"title": N_("Title"), "date": N_("Date"), "changed": N_("Last changed")}
FLAG_NAMES = {
    "review": N_("Needs review"),
    "redacted": N_("Has redactions"),
    "contributed": N_("From a family"),
    "deleted": N_("Deleted"),
}


@bp.before_request
def staff_only():
    if not access.can_edit(g.viewer):
        abort(404)


def chosen_filters() -> tuple[Filters, str, int]:
    args = request.args
    level = args.get("access", "")
    filters = Filters(
        level=level if level in access.LEVELS else "",
        collection=args.get("collection", "")[:300],
        **{flag: args.get(flag) == "1" for flag in FLAG_NAMES},
    )
    sort = args.get("sort") if args.get("sort") in SORTS else "title"
    size = int(args["size"]) if args.get("size") in {str(s) for s in PAGE_SIZES} else PAGE_SIZES[0]
    return filters, sort, size


@bp.get("/")
def index():
    filters, sort, size = chosen_filters()
    records, collections = services().spreadsheets.records(filters, sort)
    shown, page, pages = page_of(records, size)
    kept = {k: v for k, v in request.args.items() if k != "page"}
    response = Response(
        render_template(
            "records/index.html",
            records=shown,
            total=len(records),
            page=page,
            pages=pages,
            kept=kept,
            filters=filters,
            sort=sort,
            size=size,
            collections=collections,
            sorts=SORT_NAMES,
            sizes=PAGE_SIZES,
            flags=FLAG_NAMES,
            form=BulkForm(formdata=None),
        )
    )
    response.headers["Link"] = link_header(page, pages)
    return response


@bp.post("/bulk")
def bulk():
    form = BulkForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(_(error))
        return redirect(url_for("records.index"))
    refs, change, value = form.ref.data, form.change.data, form.value.data or ""
    if form.apply.data and form.versions.data:
        done = services().spreadsheets.bulk_apply(refs, change, value, form.previewed(), g.viewer.name)
        return render_template("records/done.html", done=done, change=BULK_CHANGES[change], value=value)
    preview = services().spreadsheets.bulk_preview(refs, change, value)
    form.versions.data = json.dumps({b.ref: b.version for b in preview if b.version})
    return render_template(
        "records/preview.html", preview=preview, form=form, change=BULK_CHANGES[change], value=value, refs=refs
    )


@bp.get("/export.csv")
def export():
    out = io.StringIO(newline="")
    services().spreadsheets.export(out)
    day = datetime.date.today().isoformat()
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="archive-records-{day}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
