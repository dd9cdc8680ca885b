"""What each audit action code means, in words an IT administrator reads on the audit log page: the lookup.

Each app declares the words of its own codes in `<app>/labels.py` (`AUDIT_LABELS`); there is no central list.
Every code passed to `kiban.core.audit.record` or `record_many` has words there
(kiban/core/tests/test_audit_labels.py reads the sources and fails on a code without one). Django-admin changes
(`admin.<app>.<model>.<add|change|delete>`) are labelled from the model's verbose name.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiban.core import labels_registry


def labels() -> dict:
    """Every audit code's words: what each app declares in `<app>/labels.py` (`AUDIT_LABELS`)."""
    return labels_registry.gathered("AUDIT_LABELS")


_ADMIN_OPERATIONS = {
    "add": gettext_lazy("管理画面: %(model)sの追加"),
    "change": gettext_lazy("管理画面: %(model)sの変更"),
    "delete": gettext_lazy("管理画面: %(model)sの削除"),
}


def action_label(code: str) -> str:
    """The words for `code`; the code itself when it has none (an entry written by an older version)."""
    known = labels()
    if code in known:
        return str(known[code])
    parts = code.split(".")
    if len(parts) == 4 and parts[0] == "admin" and parts[3] in _ADMIN_OPERATIONS:
        try:
            model = apps.get_model(parts[1], parts[2])
        except LookupError:
            name = f"{parts[1]}.{parts[2]}"
        else:
            name = str(model._meta.verbose_name)
        return str(_ADMIN_OPERATIONS[parts[3]]) % {"model": name}
    if code == "admin.*":
        return _("管理画面での変更（すべて）")
    return code
