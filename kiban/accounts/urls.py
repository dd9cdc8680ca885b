from django.urls import path

from kiban.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login", views.login_view, name="login"),
    path("login/two-factor", views.login_two_factor, name="login_two_factor"),
    path("logout", views.logout_view, name="logout"),
    path("account/two-factor", views.two_factor, name="two_factor"),
    path("account/password", views.change_password, name="change_password"),
    path("account/security", views.security, name="security"),
    path("account/tokens/new", views.create_token, name="create_token"),
    path("account/tokens/<int:token_id>/revoke", views.revoke_token, name="revoke_token"),
    path("account/sessions/<int:session_id>/revoke", views.revoke_session, name="revoke_session"),
    path("manage/audit", views.audit, name="audit"),
]
