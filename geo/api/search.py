"""GET /api/v1/addresses/search/?q=12 rue de la paix: the search box of /map/, /dispatch/
and the field app (addresses and streets of the caller's community)."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CommunityRole, request_membership
from geo.selectors_addresses import MAX_LENGTH, address_search


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["address", "street"])
    label = serializers.CharField()  # type: ignore[assignment]  # the hit's label, not the field's
    postcode = serializers.CharField()
    commune = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class SearchResultsSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)


class AddressSearchView(APIView):
    """Addresses (BAN) and streets matching `q`, typos and accents forgiven; WGS84 lon/lat."""

    permission_classes = [CommunityRole]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="e.g. '12 bis rue de la gare'")],
        responses=SearchResultsSerializer,  # the answer is {"results": [...]}
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        if not q.strip():
            raise ValidationError({"q": ["This parameter is required."]})
        if len(q) > MAX_LENGTH:
            raise ValidationError({"q": [f"At most {MAX_LENGTH} characters."]})
        hits = address_search(community=request_membership(request).community, q=q)
        return Response({"results": [asdict(h) for h in hits]})
