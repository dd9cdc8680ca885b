from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiban.accounts"
    label = "accounts"
