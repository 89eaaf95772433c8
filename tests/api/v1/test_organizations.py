"""/api/v1/organizations and /api/v1/projects on PostgreSQL, through X-API-Key."""

import httpx


async def test_the_api_key_header_and_the_bearer_scheme_carry_the_same_tokens(tenant, base_url):
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {tenant.token}"}) as bearer:
        assert (await bearer.get("/api/v1/organizations")).status_code == 200
    assert (await tenant.client.get("/api/v1/organizations")).json()[0]["slug"] == "acme"


async def test_no_key_or_an_unknown_key_is_a_401_in_the_v1_error_shape(base_url):
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        missing = await anonymous.get("/api/v1/organizations")
        unknown = await anonymous.get("/api/v1/projects", headers={"X-API-Key": "berth_nope"})
    assert missing.status_code == unknown.status_code == 401
    assert missing.json()["status_code"] == 401 and "X-API-Key" in missing.json()["detail"]


async def test_an_organisation_created_through_v1_is_seen_by_its_creator_only(tenant, other_tenant):
    made = await tenant.client.post("/api/v1/organizations", json={"name": "Initech Ltd", "slug": "initech"})
    assert made.status_code == 201, made.text
    assert made.json() | {"id": "x"} == {
        "id": "x", "name": "Initech Ltd", "slug": "initech", "members": [], "project_count": 0, "application_count": 0
    }
    listed = (await tenant.client.get("/api/v1/organizations")).json()
    assert [o["slug"] for o in listed] == ["acme", "initech"]
    assert listed[0]["name"] == "acme"  # made outside v1: the slug stands in for the name
    assert (await tenant.client.get("/api/v1/organizations/initech")).json()["name"] == "Initech Ltd"
    assert (await other_tenant.client.get("/api/v1/organizations/initech")).status_code == 404
    assert (await other_tenant.client.get("/api/v1/organizations/acme")).status_code == 404
    assert [o["slug"] for o in (await other_tenant.client.get("/api/v1/organizations")).json()] == ["globex"]


async def test_a_taken_or_bad_slug_is_a_400_naming_the_field(tenant):
    taken = await tenant.client.post("/api/v1/organizations", json={"name": "Globex", "slug": "acme"})
    assert taken.status_code == 400
    assert taken.json()["extra"] == [{"key": "slug", "message": "is taken", "source": "body"}]
    bad = await tenant.client.post("/api/v1/organizations", json={"name": "", "slug": "Not A Slug"})
    assert bad.status_code == 400 and bad.json()["status_code"] == 400
    assert {e["key"] for e in bad.json()["extra"]} == {"name", "slug"}


async def test_members_routes_are_not_supported(tenant, other_tenant):
    answer = await tenant.client.post("/api/v1/organizations/acme/members", json={"username": "ann"})
    assert answer.status_code == 501 and answer.headers["content-type"] == "application/problem+json"
    assert (await tenant.client.delete("/api/v1/organizations/acme/members/7")).status_code == 501
    assert (await other_tenant.client.post("/api/v1/organizations/acme/members/7/toggle-admin")).status_code == 404


async def test_projects_list_create_get(tenant, other_tenant):
    made = await tenant.project("shop")
    assert made["organization_slug"] == "acme" and made["organization_name"] == "acme"
    assert made["application_count"] == 0 and made["created"] and made["updated"]
    by_id = await tenant.client.post(
        "/api/v1/projects", json={"name": "Blog", "slug": "blog", "organization_id": made["organization_id"]}
    )
    assert by_id.status_code == 201
    assert [p["slug"] for p in (await tenant.client.get("/api/v1/projects")).json()] == ["blog", "shop"]
    got = await tenant.client.get("/api/v1/projects/acme/shop")
    assert got.json() == made
    assert (await other_tenant.client.get("/api/v1/projects/acme/shop")).status_code == 404
    assert (await other_tenant.client.get("/api/v1/projects")).json() == []
    into_other = await other_tenant.client.post(
        "/api/v1/projects", json={"name": "X", "slug": "x", "organization_id": "acme"}
    )
    assert into_other.status_code == 404
    again = await tenant.client.post("/api/v1/projects", json={"name": "S", "slug": "shop", "organization_id": "acme"})
    assert again.status_code == 400 and again.json()["extra"][0]["key"] == "slug"
    org = (await tenant.client.get("/api/v1/organizations/acme")).json()
    assert org["project_count"] == 2


async def test_openapi_describes_the_v1_routes_with_the_api_key_scheme(tenant):
    document = (await tenant.client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["APIKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    scale = document["paths"]["/api/v1/applications/{application_id}/scale"]["post"]
    assert scale["operationId"] == "ApiV1ApplicationsApplicationIdScaleScaleApplication"
    assert {"APIKeyAuth": []} in scale["security"]
