"""A photo sent as the request body itself, its fields in the query string.

Why: the field app sends one photo per request, and a multipart body made the server find its
boundary across ~500 KB in Python (~1.1 ms of a photo PUT's ~5.5 ms of CPU, more under load)
for three short fields. `PUT /agent/api/photos/<key>/?kind=before&intervention=<key>` with
`Content-Type: image/jpeg` and the JPEG as the body is read in one call. Multipart stays
accepted, unchanged, for the clients that build forms.

The result is the same `request.data` a multipart upload gives (the fields, and the body as
the `file` upload), so the view and its serializer check both alike: type, size, damage.
"""

from typing import IO, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, DataAndFiles

from interventions.services.photos import max_bytes, too_big_message


class RawPhotoParser(BaseParser):
    """`image/*` bodies: the body is the `file` field, the query string the other fields."""

    media_type = "image/*"

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        request = parser_context["request"]
        limit = max_bytes()
        # Read at most one byte past the limit: a body sent without a length is bounded too.
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise ValidationError({"file": [too_big_message(len(body))]})
        fields: QueryDict = request.query_params.copy()
        fields.pop("file", None)  # only the body is the file
        content_type = (media_type or self.media_type).split(";")[0].strip()
        subtype = content_type.split("/")[-1] or "bin"
        upload = SimpleUploadedFile(f"photo.{subtype}", body, content_type=content_type) if body else None
        return DataAndFiles(fields, MultiValueDict({"file": [upload]} if upload else {}))


class OctetStreamPhotoParser(RawPhotoParser):
    """A body the device could not name as an image (`application/octet-stream`): read the same
    way, so the server, not a 415, says what is wrong with it."""

    media_type = "application/octet-stream"
