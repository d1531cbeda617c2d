"""The forms of the auth blueprint: signing in and out."""

from wtforms import (
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from .base import ArchiveForm


class SignInForm(ArchiveForm):
    name = StringField(
        "Account name",
        validators=[DataRequired("Enter your account name."), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class SignOutForm(ArchiveForm):
    """Only a CSRF token: signing out is a POST so that no link or image on another site can do it."""

    submit = SubmitField("Sign out")
