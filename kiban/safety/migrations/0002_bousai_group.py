"""The 防災担当 (disaster-response) group: members may start and manage safety checks. IT administrators add
people to it in the Django admin (認証と認可 › グループ)."""

from django.db import migrations


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("safety")
    config.models_module = True  # permissions are normally created after all migrations ran
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="防災担当")
    group.permissions.add(Permission.objects.get(content_type__app_label="safety", codename="manage_checks"))


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
