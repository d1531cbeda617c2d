"""The languages of the pages: English strings in the code, and a gettext catalogue for each other language.

A catalogue is `archive/translations/<lang>/LC_MESSAGES/messages.po` (what translators edit, with real plural
rules: Russian has three forms), compiled beside it to `messages.mo` (what is read; `archive translations compile`
makes it, and a test fails when the two differ). Flask-Babel reads them for the language `choose` decided for the
request. Strings keep `{name}` placeholders, filled after translating, so a translation may move them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Request, Response, g, has_request_context
from flask_babel import Babel, get_translations

CATALOGUES = Path(__file__).parent / "translations"
DOMAIN = "messages"
DEFAULT = "en"
NAMES = {"en": "English", "ru": "Русский", "ko": "한국어"}  # each language in its own words, for the switcher
COOKIE = "lang"
COOKIE_DAYS = 365


@cache
def languages() -> tuple[str, ...]:
    """The languages pages can be shown in: English and every catalogue shipped."""
    found = sorted(p.parent.parent.name for p in CATALOGUES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT, *found)


def choose(request: Request) -> str:
    """The page's language: `?lang=` (which the switcher on every page sends, and which is then remembered), else the
    language remembered in the cookie, else the browser's first language the archive speaks, else English."""
    wanted = request.args.get("lang")
    if wanted in languages():
        return wanted
    remembered = request.cookies.get(COOKIE)
    if remembered in languages():
        return remembered
    return request.accept_languages.best_match(languages(), DEFAULT) or DEFAULT


def current() -> str:
    """The language of the request being answered (English outside one)."""
    return g.get("lang", DEFAULT) if has_request_context() else DEFAULT


def N_(text: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark a string for the catalogues where it is written (a table of messages); it is translated where shown."""
    return text


def translate(text: str, /, **values: object) -> str:
    """Translate an English string into the page's language (falling back to it), then fill its {placeholders}."""
    found = get_translations().gettext(text) if current() != DEFAULT else text
    return found.format(**values) if values else found


def translate_plural(singular: str, plural: str, n: int, /, **values: object) -> str:
    """Translate a string that counts something, by the plural rules of the page's language; `{n}` is the count."""
    if current() == DEFAULT:
        found = singular if n == 1 else plural
    else:
        found = get_translations().ngettext(singular, plural, n)
    return found.format(n=number(n), **values)


def number(value: float, decimals: int | None = None) -> str:
    """A number as the page's language writes it (Babel): 12,345.5 in English, 12 345,5 in Russian; `decimals`
    fixes how many digits follow the point (a size in MB: 1.5)."""
    import decimal
    import math

    from babel.numbers import format_decimal

    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    # Babel rounds in the current decimal context (28 digits); a number typed into a form may be longer
    with decimal.localcontext(prec=max(28, decimal.Decimal(str(value)).adjusted() + 10)):
        if decimals is not None:
            return format_decimal(
                round(value, decimals), format=f"#,##0.{'0' * decimals}" if decimals else "#,##0", locale=current()
            )
        return format_decimal(value, locale=current())


def moment(value: object, kind: str = "datetime") -> str:
    """A date or a time of the archive (an ISO 8601 text as the records keep it, or seconds since 1970) as the page's
    language writes it (Babel's medium date, to the minute: «1 дек. 2026 г., 14:05»); `kind` "date" for the day
    alone. Times are shown in UTC, as stored, and say so; what cannot be read is shown as it is."""
    import datetime

    from babel.dates import format_date, format_time, get_datetime_format

    if value in (None, ""):
        return ""
    try:
        if isinstance(value, int | float):
            when = datetime.datetime.fromtimestamp(value, datetime.UTC)
        else:
            when = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return str(value)
    if kind == "date" or (isinstance(value, str) and len(value) <= 10):
        return format_date(when.date(), format="medium", locale=current())
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    when = when.astimezone(datetime.UTC)
    day = format_date(when.date(), format="medium", locale=current())
    hour = format_time(when.time(), format="short", locale=current())  # to the minute
    return get_datetime_format("medium", locale=current()).replace("{1}", day).replace("{0}", hour) + " UTC"


def localise(said: object) -> str:
    """A message made below the views, in the page's language: an `errors.Message` (or an `ArchiveError`, through
    its `message`) by its marked template, filled with its values (a Message or an error said the same way, a number
    as the language writes it, plain text such as a file's name as it is); a plain string that the catalogues hold (a
    constant marked with `N_`) by its translation; anything else as it is."""
    from .errors import ArchiveError, Language, Message

    if isinstance(said, Language):  # a language named as the page's language names it
        return language_name(said.tag)
    if isinstance(said, ArchiveError):
        said = said.message
    if isinstance(said, Message):  # its values: messages said in turn, numbers written, any other text as it is
        return translate(said.template, **{k: v if type(v) is str else localise(v) for k, v in said.params.items()})
    if isinstance(said, str):
        return translate(said) if said else said
    if isinstance(said, int | float) and not isinstance(said, bool):  # a quantity: 1 234,5 on a Russian page
        return number(int(said) if isinstance(said, int) else float(said))
    return str(said)


def sentence(said: object) -> str:
    """A message made below the views as a sentence of a page, in the page's language (see `localise`)."""
    from .errors import sentence as as_sentence

    return as_sentence(localise(said))


@cache
def _catalogue(lang: str):
    from babel.support import Translations

    return Translations.load(str(CATALOGUES), [lang], DOMAIN)


def in_language(lang: str, text: str, /, **values: object) -> str:
    """Translate an English string into a given language (a BCP 47 tag; English when the archive does not speak it),
    whatever the page's language, then fill its {placeholders}: words written into a record, such as the title of a
    family's testimony in the language the family wrote it in."""
    base = (lang or DEFAULT).replace("_", "-").split("-")[0].lower()
    found = _catalogue(base).gettext(text) if base in languages()[1:] else text
    return found.format(**values) if values else found


def remember(response: Response, lang: str, secure: bool) -> None:
    """Keep the language a reader chose with the switcher, for a year, in a cookie of its own."""
    response.set_cookie(COOKIE, lang, max_age=COOKIE_DAYS * 86400, samesite="Lax", secure=secure, httponly=True)


def language_name(tag: str) -> str:
    """A language tag (BCP 47) as a reader of the page's language names it: «русский» for ru on a Russian page."""
    import langcodes

    try:
        return langcodes.Language.get(tag).display_name(current())
    except (ValueError, LookupError):  # not a tag langcodes can read: shown as written
        return tag


def init_app(app: Flask) -> None:
    """Read the catalogues through Flask-Babel, for the language each request chose."""
    Babel(
        app,
        locale_selector=current,
        default_translation_directories=str(CATALOGUES),
        default_domain=DOMAIN,
        configure_jinja=False,  # templates translate through `_` and `_n` below, with {placeholders}
    )
    app.jinja_env.globals.update(_=translate, _n=translate_plural, N_=N_)
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["said"] = localise  # a message made below the views (a job's), in the page's language


WTFORMS_MESSAGES = (  # what WTForms' own validators say; marked here so that the catalogues translate them
    N_("This field is required."),
    N_("Not a valid choice."),
    N_("Not a valid date value."),
    N_("Not a valid integer value."),
)
KEYWORDS = {"_": None, "N_": None, "_n": (1, 2)}  # translate, mark, and translate by count (singular, plural)


def extract(templates: Path) -> Catalog:
    """Every message the code and the templates mark for translation, as gettext tools find them."""
    from babel.messages.extract import extract_from_dir

    found = Catalog(domain=DOMAIN)
    sources = [
        (Path(__file__).parent, [("**.py", "python")]),
        (templates, [("**.html", "jinja2.ext:babel_extract")]),
    ]
    for folder, method_map in sources:
        for filename, lineno, message, comments, _context in extract_from_dir(
            str(folder), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            found.add(message, None, [(filename, lineno)], auto_comments=comments)
    return found


def update(templates: Path) -> dict[str, int]:
    """Bring every catalogue up to the messages in the code: new ones added untranslated, gone ones dropped (and
    kept as obsolete in the file); return how many each catalogue then lacks."""
    from babel.messages.pofile import write_po

    template = extract(templates)
    lacking = {}
    for lang in languages()[1:]:
        path = CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=120, sort_output=True, ignore_obsolete=True, include_lineno=False)
        lacking[lang] = sum(1 for message in catalog if message.id and not translated(message))
    return lacking


def translated(message: Message) -> bool:
    """Tell whether a catalogue's message has every form translated (one, or each plural form)."""
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(forms)


def compile_catalogue(lang: str) -> bytes:
    """The compiled form of a language's catalogue, made from its .po file."""
    with (CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    return mo_bytes(catalog)


def mo_bytes(catalog: Catalog) -> bytes:
    import io

    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> list[Path]:
    """Compile every catalogue beside its .po file; return the files written."""
    written = []
    for lang in languages()[1:]:
        target = CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.write_bytes(compile_catalogue(lang))
        written.append(target)
    return written
