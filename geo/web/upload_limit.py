"""Refuse an import upload larger than RONDE_IMPORT_MAX_UPLOAD_MB from its Content-Length.

A middleware placed before CsrfViewMiddleware: the CSRF check reads request.POST, which makes
Django read the whole multipart body to disk first. Here nothing of the body is read.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

TOO_LARGE = 413


class ImportUploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info == reverse("geodata:imports"):
            limit_mb = settings.RONDE_IMPORT_MAX_UPLOAD_MB
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django's own parsing decides what a bad header means
            # The multipart envelope adds a few hundred bytes around the file: 1 MB of slack.
            if length > (limit_mb + 1) * 1024 * 1024:
                context = {"size_mb": length // (1024 * 1024), "limit_mb": limit_mb}
                return render(request, "geo/upload_too_large.html", context, status=TOO_LARGE)
        return self.get_response(request)
