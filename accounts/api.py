"""/api/v1/teams/ and /api/v1/auth/token/ (roles: accounts.permissions)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from core.api.base import scope_related_fields
from core.api.fields import GeoJSONGeometryField, geojson_4326
from core.api.pagination import JsonPagination

from .models import Team, User
from .permissions import CommunityRole, request_membership
from .selectors import teams_for_community
from .services import team_create, team_delete, team_update
from .throttling import lockout_response


class TeamSerializer(serializers.ModelSerializer):
    """A team as plain JSON; `depot` is a GeoJSON Point in EPSG:4326 (or null)."""

    depot = GeoJSONGeometryField(geom_types=("Point",), required=False, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(many=True, queryset=User.objects.all(), required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "members", "depot", "hourly_cost", "active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Unique per community: checked against the caller's community in validate_name.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        scope_related_fields(fields, self.context.get("community"))
        fields["depot"].annotation = "depot_geojson"  # type: ignore[attr-defined]
        return fields

    def validate_name(self, value: str) -> str:
        community = self.context.get("community")
        clash = Team.objects.filter(community=community, name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A team with this name already exists in your community.")
        return value


class TeamViewSet(viewsets.ModelViewSet):
    """Brigades of the community. Dispatchers and admins write; everyone reads."""

    serializer_class = TeamSerializer
    pagination_class = JsonPagination
    permission_classes = [IsAuthenticated, CommunityRole]

    def _community(self) -> Any:
        return request_membership(self.request).community

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        return (
            teams_for_community(community=self._community())
            .prefetch_related(None)
            .prefetch_related(Prefetch("members", queryset=User.objects.only("id").order_by("id")))
            .annotate(depot_geojson=geojson_4326("depot"))
            .order_by("name", "id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.user.is_authenticated:
            context["community"] = self._community()
        return context

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        team = team_create(
            community=self._community(),
            name=data.pop("name"),
            members=data.pop("members", []),
            depot=data.pop("depot", None),
        )
        if data:
            team_update(team=team, data=data)
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer.instance, Team)
        team = team_update(team=serializer.instance, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_destroy(self, instance: Team) -> None:
        team_delete(team=instance)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token: `Authorization: Token <token>`."""

    # Documented as JSON: one body type per operation, which generated clients need; a login
    # form body (form-encoded or multipart) is accepted as well, as DRF's view always did.
    @extend_schema(
        request={"application/json": AuthTokenSerializer},
        responses={200: TokenSerializer},
        auth=[],
        description="Exchange a username and password (JSON; a form body is accepted too) for an API token.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes flags a locked-out attempt on the request it saw: DRF's wrapper,
            # which its middleware never looks at (accounts/throttling.py).
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise
        response.status_code = status.HTTP_200_OK
        return response
