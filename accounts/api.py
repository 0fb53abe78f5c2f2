"""/api/v1/teams/, /api/v1/auth/token/ and /api/v1/auth/tokens/ (roles: accounts.permissions)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, renderers, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import scope_related_fields
from core.api.fields import GeoJSONGeometryField, geojson_4326
from core.api.pagination import JsonPagination

from .models import ApiToken, Team, User
from .permissions import CommunityRole, request_membership
from .selectors import api_tokens_for_user, teams_for_community
from .services import api_token_create, api_token_revoke, team_create, team_delete, team_update
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
            hourly_cost=data.pop("hourly_cost", None),
            active=data.pop("active", True),
        )
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer.instance, Team)
        team = team_update(team=serializer.instance, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_destroy(self, instance: Team) -> None:
        team_delete(team=instance)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key, shown this once: `Authorization: Token <token>`.")
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenRequestSerializer(AuthTokenSerializer):
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="What the token is for (QGIS, a script…)."
    )


class TokenView(APIView):
    """Exchange a username and password for a new API token: `Authorization: Token <token>`.

    Each call makes a new token, valid RONDE_API_TOKEN_TTL_DAYS days (90 by default); list and
    revoke them at /api/v1/auth/tokens/.
    """

    throttle_classes = ()
    permission_classes = ()
    parser_classes = (parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser)
    renderer_classes = (renderers.JSONRenderer,)

    # Documented as JSON: one body type per operation, which generated clients need; a login
    # form body (form-encoded or multipart) is accepted as well.
    @extend_schema(
        request={"application/json": TokenRequestSerializer},
        responses={200: TokenSerializer},
        auth=[],
        description="Exchange a username and password (JSON; a form body is accepted too) for an API token.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            # django-axes flags a locked-out attempt on the request it saw: DRF's wrapper,
            # which its middleware never looks at (accounts/throttling.py).
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise
        token, key = api_token_create(
            user=serializer.validated_data["user"], name=serializer.validated_data.get("name", "")
        )
        return Response(
            {"token": key, "id": token.pk, "expires_at": token.expires_at}, status=status.HTTP_200_OK
        )


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token this request was made with.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        auth = self.context.get("auth")
        return isinstance(auth, ApiToken) and auth.key_hash == token.key_hash


class TokenListView(APIView):
    """The caller's own API tokens (never their keys): GET lists, DELETE <id>/ revokes one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        tokens = api_tokens_for_user(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"auth": request.auth}).data)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke one of the caller's tokens (404 for anyone else's): it stops working at once."""
        assert isinstance(request.user, User)
        if not api_token_revoke(user=request.user, token_id=token_id):
            raise NotFound("You have no such token.")
        return Response(status=status.HTTP_204_NO_CONTENT)
