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


def translate(text: str, **values: object) -> str:
    """Translate an English string into the page's language (falling back to it), then fill its {placeholders}."""
    found = get_translations().gettext(text) if current() != DEFAULT else text
    return found.format(**values) if values else found


def translate_plural(singular: str, plural: str, n: int, **values: object) -> str:
    """Translate a string that counts something, by the plural rules of the page's language; `{n}` is the count."""
    if current() == DEFAULT:
        found = singular if n == 1 else plural
    else:
        found = get_translations().ngettext(singular, plural, n)
    return found.format(n=n, **values)


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
