"""REST plumbing shared by every app's API: base viewsets and serializers, query
filters, geometry fields, pagination, error handling and the OpenAPI hooks."""
