"""The forms of the auth blueprint: signing in and out."""

from wtforms import (
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from ...i18n import N_
from .base import ArchiveForm


class SignInForm(ArchiveForm):
    name = StringField(
        N_("Account name"),
        validators=[DataRequired(N_("Enter your account name.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        N_("Password"),
        validators=[DataRequired(N_("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(N_("Sign in"))


class SignOutForm(ArchiveForm):
    """Only a CSRF token: signing out is a POST so that no link or image on another site can do it."""

    submit = SubmitField(N_("Sign out"))
