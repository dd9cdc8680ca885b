"""Each ballot box keeps a tally of its ballots (kiban.surveys.ballots): add it, and count the boxes that
already hold answers."""

import json

from django.db import migrations, models


def count_existing(apps, schema_editor):
    from kiban.surveys.ballots import tally

    BallotBox = apps.get_model("surveys", "BallotBox")
    Question = apps.get_model("surveys", "Question")
    for box in BallotBox.objects.filter(count__gt=0).iterator():
        kinds = {str(pk): kind for pk, kind in Question.objects.filter(survey_id=box.survey_id).values_list("pk", "kind")}
        text = json.dumps(tally(json.loads(box.ballots), kinds), ensure_ascii=False, separators=(",", ":"))
        BallotBox.objects.filter(pk=box.pk).update(tally=text)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [
        migrations.AddField(model_name="ballotbox", name="tally", field=models.TextField(default="{}")),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
