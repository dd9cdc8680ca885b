"""Who is an IT administrator (情報システム課), decided in one place for pages, actions and the admin."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404


def is_it_admin(user) -> bool:
    """An active account with `is_staff`: it may use the Django admin and the /manage/ pages."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def it_admin_required(view: Callable) -> Callable:
    """Sign-in required (redirect to /login), then 404 for anyone who is not an IT administrator: the page
    does not exist for them, so it does not advertise itself."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_it_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(wrapped)
