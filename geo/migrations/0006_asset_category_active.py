from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0005_address"),
    ]

    operations = [
        migrations.AddField(
            model_name="assetcategory",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
    ]
