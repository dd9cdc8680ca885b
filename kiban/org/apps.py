from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kiban.org"
    label = "org"
