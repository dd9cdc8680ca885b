from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kiban.web"
    label = "web"
