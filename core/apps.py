from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Ronde core"

    def ready(self) -> None:
        # django.contrib.admin (first in INSTALLED_APPS) has run autodiscover by now; admin
        # modules of apps after it are imported then too, so every ModelAdmin is registered.
        from django.contrib import admin

        from .admin import lock_unscoped_admins

        lock_unscoped_admins(admin.site)
