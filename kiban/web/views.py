from __future__ import annotations

from django.shortcuts import render

from kiban.core.permissions import it_admin_required
from kiban.web.sections import available_manage_links


@it_admin_required
def manage(request):
    """The IT administrator's menu: every administrative page that exists."""
    return render(request, "web/manage.html", {"links": available_manage_links()})
