"""Every write in chat goes through these actions (split by subject; import from here).

`access_*` fetch and authorise (Http404 for what the person may not see); `do_*` write in one
transaction and publish their events after commit to the members they concern.
"""

from __future__ import annotations

from kiban.chat.actions.common import MAX_BODY, MAX_GROUP_MEMBERS, field_error, staff_by_usernames
from kiban.chat.actions.conversations import (
    access_conversation,
    access_public_channel,
    do_add_members,
    do_archive_conversation,
    do_create_conversation,
    do_create_dm,
    do_join_channel,
    do_leave_conversation,
    do_mark_read,
    do_remove_member,
    do_set_muted,
    do_update_conversation,
    pass_on_ownership,
)
from kiban.chat.actions.messages import (
    access_message,
    do_delete_message,
    do_edit_message,
    do_pin_message,
    do_post_message,
    do_react,
)
from kiban.chat.actions.teams import (
    access_team,
    do_create_team,
    do_join_team,
    do_sync_all_department_teams,
    do_sync_department_team,
    team_channels,
    teams_for,
)
from kiban.chat.actions.webhooks import (
    WebhookStopped,
    access_webhook,
    do_create_webhook,
    do_post_via_webhook,
    do_renew_webhook,
    do_revoke_webhook,
    webhook_is_live,
    webhooks_of,
)

__all__ = [
    "MAX_BODY", "MAX_GROUP_MEMBERS", "access_conversation", "access_message", "access_public_channel",
    "WebhookStopped", "access_team", "access_webhook", "do_renew_webhook", "webhook_is_live", "do_add_members", "do_archive_conversation", "do_create_conversation",
    "do_create_dm", "do_create_team", "do_create_webhook", "do_delete_message", "do_edit_message",
    "do_join_channel", "do_join_team", "do_leave_conversation", "do_mark_read", "do_pin_message",
    "do_post_message", "do_post_via_webhook", "do_react", "do_remove_member", "do_revoke_webhook",
    "do_set_muted", "do_sync_all_department_teams", "do_sync_department_team", "do_update_conversation",
    "field_error", "pass_on_ownership", "staff_by_usernames", "team_channels", "teams_for",
    "webhooks_of",
]  # fmt: skip
