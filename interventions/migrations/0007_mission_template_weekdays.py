"""A recurring mission runs on several days of the week (weekday -> weekdays array)."""

import django.contrib.postgres.fields
from django.db import migrations, models

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0006_soft_delete"),
    ]

    operations = [
        migrations.AddField(
            model_name="missiontemplate",
            name="weekdays",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(choices=WEEKDAYS),
                null=True,
                size=7,
                verbose_name="days of the week",
            ),
        ),
        migrations.RunSQL(
            "UPDATE interventions_missiontemplate SET weekdays = ARRAY[weekday]",
            reverse_sql="UPDATE interventions_missiontemplate SET weekday = weekdays[1]",
        ),
        migrations.AlterField(
            model_name="missiontemplate",
            name="weekdays",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(choices=WEEKDAYS),
                size=7,
                verbose_name="days of the week",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="missiontemplate",
            name="template_weekday_range",
        ),
        migrations.AlterModelOptions(
            name="missiontemplate",
            options={
                "ordering": ["weekdays", "name"],
                "verbose_name": "recurring mission",
                "verbose_name_plural": "recurring missions",
            },
        ),
        migrations.RemoveField(
            model_name="missiontemplate",
            name="weekday",
        ),
        migrations.AddConstraint(
            model_name="missiontemplate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("weekdays__contained_by", [0, 1, 2, 3, 4, 5, 6]), ("weekdays__len__gte", 1)
                ),
                name="template_weekdays_range",
            ),
        ),
    ]
