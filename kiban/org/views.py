"""Directory pages (Web 階層型アドレス帳): the department tree with search, a department, a profile."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import Resolver404, resolve

from kiban.org import actions, queries, search


def _chat_dm_url(username: str) -> str | None:
    """The chat module (a later issue) serves /chat/dm/<username>; until it exists the button is disabled."""
    url = f"/chat/dm/{username}"
    try:
        resolve(url)
    except Resolver404:
        return None
    return url


@login_required
def directory(request):
    query = request.GET.get("q", "")[:200].strip()
    include_retired = request.GET.get("include_retired") == "1" and actions.can_see_retired(request.user)
    result = search.search_staff(query, include_retired=include_retired) if query else None
    context = {
        "query": query,
        "result": result,
        "include_retired": include_retired,
        "can_see_retired": actions.can_see_retired(request.user),
    }
    # htmx asks for the results only while the person types; a plain GET gets the whole page.
    if (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "directory-results"
    ):
        return render(request, "org/_results.html", context)
    context["tree"] = queries.department_tree()
    return render(request, "org/directory.html", context)


@login_required
def department(request, department_id: int):
    dept = actions.access_department(request.user, department_id)
    return render(
        request,
        "org/department.html",
        {
            "department": dept,
            "ancestors": queries.department_ancestors(dept),
            "children": queries.sub_departments(dept),
            "members": queries.department_members(dept),
        },
    )


@login_required
def profile(request, username: str):
    person = actions.access_staff(request.user, username)
    memberships = person.posts
    return render(
        request,
        "org/profile.html",
        {
            "person": person,
            "memberships": memberships,
            "chat_url": _chat_dm_url(person.username),
            "is_self": person.pk == request.user.pk,
        },
    )
