"""Chat attachments move onto blobs (kiban.blobs): each existing attachment's stored file becomes a ready
blob under the same storage key — no byte is copied — and the attachment points at it. Attachments of
deleted messages (whose bytes are already gone) get no blob."""

import django.db.models.deletion
from django.db import migrations, models


def to_blobs(apps, schema_editor):
    Attachment = apps.get_model("chat", "Attachment")
    Blob = apps.get_model("blobs", "Blob")
    for attachment in Attachment.objects.filter(removed_at__isnull=True).exclude(file="").iterator():
        blob = Blob.objects.create(
            key=attachment.file.name,
            size=attachment.size,
            content_type=attachment.content_type,
            sha256=attachment.sha256,
            state="ready",
            created_at=attachment.created_at,
        )
        Attachment.objects.filter(pk=attachment.pk).update(blob=blob)


def from_blobs(apps, schema_editor):
    Attachment = apps.get_model("chat", "Attachment")
    for attachment in Attachment.objects.filter(blob__isnull=False).select_related("blob").iterator():
        Attachment.objects.filter(pk=attachment.pk).update(file=attachment.blob.key)


class Migration(migrations.Migration):
    dependencies = [
        ("blobs", "0001_initial"),
        ("chat", "0002_message_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="blob",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="blobs.blob"
            ),
        ),
        migrations.RunPython(to_blobs, from_blobs),
        migrations.RemoveField(model_name="attachment", name="file"),
    ]
