from django.db import migrations


def seed(apps, schema_editor):
    from classification.taxonomy import DEFAULT_CATEGORIES

    Category = apps.get_model("classification", "Category")
    for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("classification", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
