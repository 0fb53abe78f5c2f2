# Open311 partner API keys and the Open311 side of reports.

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_community_user_team'),
        ('interventions', '0001_reports_interventions_missions'),
    ]

    operations = [
        migrations.CreateModel(
            name='Open311Request',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('media_url', models.URLField(blank=True, default='', max_length=1000, verbose_name='media URL')),
                ('email', models.EmailField(blank=True, default='', max_length=254, verbose_name='email')),
                ('first_name', models.CharField(blank=True, default='', max_length=100, verbose_name='first name')),
                ('last_name', models.CharField(blank=True, default='', max_length=100, verbose_name='last name')),
                ('phone', models.CharField(blank=True, default='', max_length=40, verbose_name='phone')),
                ('device_id', models.CharField(blank=True, default='', max_length=200, verbose_name='device id')),
                ('account_id', models.CharField(blank=True, default='', max_length=200, verbose_name='account id')),
                ('attributes', models.JSONField(blank=True, default=dict, verbose_name='attributes')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'Open311 request',
                'verbose_name_plural': 'Open311 requests',
            },
        ),
        migrations.CreateModel(
            name='PartnerApiKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='key hash (SHA-256)')),
                ('key_prefix', models.CharField(default='', editable=False, max_length=8, verbose_name='key prefix')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('rate_limit', models.PositiveIntegerField(default=60, verbose_name='rate limit (requests per minute)')),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'partner API key',
                'verbose_name_plural': 'partner API keys',
                'ordering': ['community', 'name'],
            },
        ),
        migrations.AddField(
            model_name='open311request',
            name='report',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='open311', to='interventions.report'),
        ),
        migrations.AddField(
            model_name='partnerapikey',
            name='community',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='partner_keys', to='accounts.community'),
        ),
        migrations.AddField(
            model_name='open311request',
            name='partner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='requests', to='interventions.partnerapikey'),
        ),
        migrations.AddConstraint(
            model_name='partnerapikey',
            constraint=models.UniqueConstraint(fields=('community', 'name'), name='partner_key_name_unique'),
        ),
    ]
