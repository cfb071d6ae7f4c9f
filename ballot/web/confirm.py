"""Ask before a destructive action: the server shows what will happen and waits for a yes.

A destructive form posts straight to its action. Unless the post carries ``confirmed=1`` the
view answers with a confirmation page naming the consequence, holding the same fields and a
"yes" button, so nothing is destroyed by one stray click, with or without JavaScript (a page
may open that same page in a <dialog>, but correctness never depends on it).
"""

from __future__ import annotations

from flask import render_template, request

from ballot.domain.errors import N_, InvalidInput

NO_CSRF = ("csrf_token", "confirmed")


def confirmed() -> bool:
    """True when the user answered yes on the confirmation page."""
    return request.form.get("confirmed") == "1"


def ask(title: str, consequence: str, action_label: str, back_url: str, *,
        reason_label: str | None = None, danger: bool = True, download: bool = False,
        status: int = 200):
    """The confirmation page for the current POST (all its fields carried along).

    With ``reason_label`` the page asks for a reason (empty, required) and posts it as ``reason``.
    ``download``: the yes answers with a file, so the page says so and (with JavaScript)
    disables the yes once sent, so it cannot be sent twice.
    """
    fields = [(k, v) for k, v in request.form.items(multi=True)
              if k not in NO_CSRF and not (reason_label and k == "reason")]
    return render_template("confirm.html", title=title, consequence=consequence,
                           action_label=action_label, back_url=back_url, fields=fields,
                           reason_label=reason_label, danger=danger, download=download,
                           action_url=request.path), status


def reason(required: bool = True) -> str:
    """The reason typed on a confirmation page (InvalidInput when required and blank)."""
    text = (request.form.get("reason") or "").strip()[:200]
    if required and not text:
        raise InvalidInput(N_("请填写原因（例如“代表证遗失”），再确认。"))
    return text
