"""Surveys (アンケート) and inquiries (照会・回答).

**Anonymity.** For an anonymous survey nothing stored links an answer to a person, whoever reads the
database. Who has answered (`Recipient.answered`, needed for reminders) is kept apart from what was
answered, and neither has a timestamp. Answers are not rows: they are ballots in a survey's few
`BallotBox` rows, each a JSON list into which a ballot goes at a random position of a random box. So no row
id, insertion order or transaction id (PostgreSQL's xmin, SQLite's rowid) says which ballot came when —
a row per answer would carry all three, and the transaction id would equal that of the person's
`Recipient` update. An anonymous ballot holds only the answers and the SHA-256 of an edit key that only the
person's browser keeps (docs/ARCHITECTURE.md, "Survey anonymity"). Named surveys use the same boxes, with
the person and their section in the ballot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    title = models.CharField(_("題名"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    anonymous = models.BooleanField(_("匿名"), default=False)
    # As given at creation: {"all": true}, {"departments": [ids]} (sub-departments included) or
    # {"people": [usernames]}; resolved then into Recipient rows.
    audience = models.JSONField(_("対象"))
    deadline = models.DateTimeField(_("締切"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The automatic reminder before the deadline went out (claimed by a conditional update: once).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("アンケート")
        verbose_name_plural = _("アンケート")
        indexes = [models.Index(fields=["deadline"])]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is None and (self.deadline is None or now < self.deadline)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("単一選択")
        MULTIPLE = "multiple", _("複数選択")
        SCALE = "scale", _("段階評価")
        TEXT = "text", _("自由記述")
        DATE = "date", _("日付")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField()
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("質問"), max_length=1000)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(_("必須"), default=False)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)

    class Meta:
        verbose_name = _("質問")
        verbose_name_plural = _("質問")
        ordering = ["survey", "order"]
        constraints = [models.UniqueConstraint(fields=["survey", "order"], name="surveys_question_order")]

    def __str__(self) -> str:
        return self.text


class Recipient(models.Model):
    """A person the survey asks, and whether they have answered — no when, no which answer."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="recipients")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answered = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("対象者")
        verbose_name_plural = _("対象者")
        constraints = [models.UniqueConstraint(fields=["survey", "staff"], name="surveys_recipient_unique")]
        indexes = [models.Index(fields=["staff", "answered"])]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.staff_id}"


class BallotBox(models.Model):
    """A share of a survey's answers: a JSON list of ballots in no meaningful order."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="boxes")
    shard = models.PositiveSmallIntegerField()
    ballots = models.TextField(default="[]")
    count = models.PositiveIntegerField(default=0)
    # Counts of this box's ballots, rewritten with them (kiban.surveys.ballots.tally).
    tally = models.TextField(default="{}")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "shard"], name="surveys_box_unique")]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.shard}"


# --- Inquiries -------------------------------------------------------------------------------------------


class Inquiry(models.Model):
    """A 照会: sent to several sections, each of which answers once through any of its members."""

    title = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sender_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deadline = models.DateTimeField(_("回答期限"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("照会")
        verbose_name_plural = _("照会")
        indexes = [models.Index(fields=["deadline"])]

    def __str__(self) -> str:
        return self.title


class InquiryTarget(models.Model):
    """One addressed section's state and answer."""

    class State(models.TextChoices):
        UNANSWERED = "unanswered", _("未回答")
        ANSWERED = "answered", _("回答済")
        RETURNED = "returned", _("差戻し")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="targets")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.UNANSWERED)
    body = models.TextField(_("回答"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(_("差戻し理由"), blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("照会先")
        verbose_name_plural = _("照会先")
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "department"], name="surveys_inquiry_target_unique")
        ]
        indexes = [models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.inquiry_id}:{self.department_id}"


class InquiryFile(models.Model):
    """A file of an inquiry (the sender's) or of a section's answer. Uploaded first (bound to neither),
    then bound when the inquiry is sent or the answer given; unbound uploads are pruned after a day."""

    inquiry = models.ForeignKey(
        Inquiry, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    target = models.ForeignKey(
        InquiryTarget, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("ファイル名"), max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=128)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("照会の添付ファイル")
        verbose_name_plural = _("照会の添付ファイル")

    def __str__(self) -> str:
        return self.name
